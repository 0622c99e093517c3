"""Background tasks of the outbox (django_tasks, database backend): the only place it sends.

`dispatch_outbox` is enqueued every minute by `garita worker`'s scheduler and right after
`notify_bulk` queues something; running it twice at once is safe (rows are claimed).
"""

from __future__ import annotations

from django_tasks import task

from garita.notifications.dispatch import tick


@task(queue_name="notifications")
def dispatch_outbox() -> dict[str, int]:
    return tick()
