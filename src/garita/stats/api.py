"""JSON API for stats (mounted at /api/v1/stats/): parse, call one service, return."""

from ninja import Router

router = Router()
