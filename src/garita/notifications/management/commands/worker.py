"""`garita worker`: the task queue worker (django_tasks_db's db_worker) plus the scheduler.

The tasks API has no periodic tasks, so a small scheduler thread enqueues
`dispatch_outbox` once a minute (skipped while one is still waiting), and the worker runs
it; several `garita worker` processes may run: rows are claimed, never sent twice. The
scheduler also puts back in the queue the resumable tasks a killed worker left RUNNING, and
seals the audit read events written without the chain lock (hotline look-ups) into the audit
chain, deletes the waitlist's wrong-PIN counters whose window has ended, the hotline's
look-up throttle rows that count nothing any more and the API's expired Idempotency-Key
records, once a minute.
"""

from __future__ import annotations

import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection


def enqueue_tick_unless_waiting() -> bool:
    from django_tasks_db.models import DBTaskResult

    from garita.notifications.tasks import dispatch_outbox

    path = dispatch_outbox.module_path
    if DBTaskResult.objects.ready().filter(task_path=path).exists():
        return False
    dispatch_outbox.enqueue()
    return True


def seal_audit() -> int:
    from garita.audit.services import seal

    return seal()


def prune_pin_counters() -> int:
    from garita.waitlist.services import prune_pin_counters

    return prune_pin_counters()


def purge_idempotency_keys() -> int:
    from garita.idempotency.services import purge

    return purge()


def prune_lookup_throttles() -> int:
    from garita.hotline.services import prune_throttles

    return prune_throttles()


class Command(BaseCommand):
    help = "Run the background worker: sends notifications and reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=60.0,
                            help="Seconds between two scheduled outbox passes (default 60).")
        parser.add_argument("--once", action="store_true",
                            help="Enqueue one outbox pass, run every waiting task, then exit.")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="Only run tasks; another process enqueues the ticks.")

    def handle(self, *args: object, **opts: object) -> None:
        from garita.notifications.tasks import worker_identity

        worker_opts = {"queue_name": "default,notifications", "interval": 1.0,
                       "reload": False, "startup_delay": False,
                       "worker_id": worker_identity()}
        if opts["once"]:
            enqueue_tick_unless_waiting()
            call_command("db_worker", batch=True, **worker_opts)
            seal_audit()
            prune_pin_counters()
            purge_idempotency_keys()
            prune_lookup_throttles()
            return
        if not opts["no_scheduler"]:
            every = float(opts["every"])  # type: ignore[arg-type]
            threading.Thread(target=self._schedule, args=(every,), daemon=True).start()
        self.stdout.write("garita worker: sending notifications (Ctrl+C to stop)")
        call_command("db_worker", **worker_opts)

    def _schedule(self, every: float) -> None:
        while True:
            try:
                close_old_connections()
                from garita.notifications.tasks import requeue_orphaned_tasks

                requeue_orphaned_tasks()
                enqueue_tick_unless_waiting()
                seal_audit()
                prune_pin_counters()
                purge_idempotency_keys()
                prune_lookup_throttles()
            except Exception as exc:  # noqa: BLE001 - keep ticking; the worker logs errors
                self.stderr.write(f"scheduler: {exc}")
            finally:
                connection.close()
            time.sleep(every)
