"""Background tasks of the outbox (django_tasks, database backend): the only place it sends.

`dispatch_outbox` is enqueued every minute by `garita worker`'s scheduler and right after
`notify_bulk` queues something; running it twice at once is safe (rows are claimed).
A worker killed mid-task leaves its task row RUNNING forever (django-tasks-db has no
heartbeat); `requeue_orphaned_tasks` puts such rows of tasks that are safe to run twice
back in the queue, so that a mass reschedule's notices are not lost with the worker.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from garita.audit.services import record
from garita.notifications.dispatch import tick

# Tasks that may run twice without harm: the outbox tick (rows are claimed) and the
# hearings fan-out (notify_bulk is idempotent on the notification's key).
RESUMABLE_TASKS = (
    "garita.notifications.tasks.dispatch_outbox",
    "garita.hearings.tasks.notify_events",
)


@task(queue_name="notifications")
def dispatch_outbox() -> dict[str, int]:
    return tick()


def requeue_orphaned_tasks(*, now: dt.datetime | None = None) -> int:
    """RUNNING for longer than GARITA_TASK_ORPHAN_SECONDS: its worker died; run it again
    if it is resumable. Others stay RUNNING for an operator (docs/operations.md)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.GARITA_TASK_ORPHAN_SECONDS)
    orphans = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff,
                                          task_path__in=RESUMABLE_TASKS)
    n = orphans.update(status="READY", started_at=None)
    if n:
        record(actor="worker", action="tasks.orphans_requeued", object_type="tasks.task",
               new={"requeued": n})
    return n
