"""Background fan-out of hearing events for very large batches (mass reschedules).

The events are enqueued as task rows in the reschedule's own transaction, so they are
queued exactly when the change commits; the worker hands them to notify_bulk, which is
idempotent, so a retried task queues nothing twice.
"""

from __future__ import annotations

from django_tasks import task

from garita.notifications.services import CaseEvent, notify_bulk


@task(queue_name="notifications")
def notify_events(events: list[list[object]]) -> int:
    """Queue notices for [case_id, event, hearing_id, version] events."""
    return notify_bulk([CaseEvent(int(c), str(e), int(h) if h is not None else None, str(v))  # type: ignore[call-overload]
                        for c, e, h, v in events])
