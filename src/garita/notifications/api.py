"""JSON API for notifications (mounted at /api/v1/notifications/).

Nothing public yet: the outbox is read in the admin; sending is the worker's job.
"""

from ninja import Router

router = Router()
