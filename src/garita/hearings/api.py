"""JSON API for hearings (mounted at /api/v1/hearings/): parse, call one service, return."""

from ninja import Router

router = Router()
