"""JSON API for notices (mounted at /api/v1/notices/): parse, call one service, return."""

from ninja import Router

router = Router()
