"""JSON API for intake (mounted at /api/v1/intake/): parse, call one service, return."""

from ninja import Router

router = Router()
