"""JSON API for notifications (mounted at /api/v1/notifications/): parse, call one service, return."""

from ninja import Router

router = Router()
