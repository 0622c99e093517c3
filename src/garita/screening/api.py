"""JSON API for screening (mounted at /api/v1/screening/): parse, call one service, return."""

from ninja import Router

router = Router()
