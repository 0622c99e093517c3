"""Background tasks of the outbox (django_tasks, database backend): the only place it sends.

`dispatch_outbox` is enqueued every minute by `garita worker`'s scheduler and right after
`notify_bulk` queues something; running it twice at once is safe (rows are claimed).
A worker killed mid-task leaves its task row RUNNING forever (django-tasks-db has no
heartbeat); `requeue_orphaned_tasks` puts such rows of tasks that are safe to run twice
back in the queue (at once when the dead process was on this host, else after
GARITA_TASK_ORPHAN_SECONDS), so that a mass reschedule's notices are not lost with it.
"""

from __future__ import annotations

import datetime as dt
import os

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


def worker_identity() -> str:
    """The id `garita worker` gives django-tasks' worker: host, pid and a random part, so
    that a worker on the same host can tell whether the process that claimed a task is
    still alive."""
    import socket
    import uuid

    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimer_is_dead(worker_ids: list[str]) -> bool | None:
    """True/False when the claiming process ran on this host; None when nobody can tell."""
    import socket

    if not worker_ids:
        return None
    parts = str(worker_ids[-1]).rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:40] or not parts[1].isdigit():
        return None
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by someone else
    return False


def requeue_orphaned_tasks(*, now: dt.datetime | None = None) -> int:
    """Resumable tasks whose worker died: queued again. A task claimed by a process of this
    host that no longer exists is requeued at once; any other only when it has been
    RUNNING for GARITA_TASK_ORPHAN_SECONDS (a worker on another host may still be on it).
    Tasks that are not resumable stay RUNNING for an operator (docs/operations.md)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.GARITA_TASK_ORPHAN_SECONDS)
    requeued = 0
    running = DBTaskResult.objects.filter(status="RUNNING", task_path__in=RESUMABLE_TASKS)
    for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at"):
        dead = _claimer_is_dead(list(worker_ids or []))
        if dead is False or (dead is None and (started_at is None or started_at >= cutoff)):
            continue
        requeued += DBTaskResult.objects.filter(pk=pk, status="RUNNING").update(
            status="READY", started_at=None)
    if requeued:
        record(actor="worker", action="tasks.orphans_requeued", object_type="tasks.task",
               new={"requeued": requeued})
    return requeued
