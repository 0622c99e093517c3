"""JSON API for waitlist (mounted at /api/v1/waitlist/): parse, call one service, return."""

from ninja import Router

router = Router()
