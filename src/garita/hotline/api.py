"""JSON API for hotline (mounted at /api/v1/hotline/): parse, call one service, return."""

from ninja import Router

router = Router()
