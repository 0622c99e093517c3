"""Benchmark: mass-reschedule N hearings (default 100,000) with `reschedule_apply` — the
constraint re-check, the history rows, the UPDATE, new notices and tear sheets, the
notifications queued through notify_bulk and Case.info_changed_at — against a bare SQL
UPDATE of the same rows. Usage: .venv/bin/python bench/hearings_reschedule.py [N]
"""

from __future__ import annotations

import sys
import time

from hearings_common import build_world, setup_django


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = setup_django("reschedule")
    world = build_world(n, days=160)
    from django.db import connection, transaction

    from garita.hearings import domain
    from garita.hearings.management.commands.hearings import CliClerk
    from garita.hearings.models import Hearing
    from garita.hearings.services import (
        RescheduleFilter,
        reschedule_apply,
        schedule_unscheduled,
    )
    from garita.notices.models import Notice
    from garita.notifications.models import Notification

    t0 = time.perf_counter()
    report = schedule_unscheduled(actor=CliClerk(), notify=False)
    print(f"setup: {world['cases']} cases, {report.scheduled} hearings scheduled in "
          f"{world['setup_s'] + time.perf_counter() - t0:.1f} s (not timed)")
    cpu0, t0 = time.process_time(), time.perf_counter()
    batch = reschedule_apply(actor=CliClerk(), flt=RescheduleFilter(),
                             rule=domain.RescheduleRule("plus_days", days=30),
                             reason="Benchmark: court closed")
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"rescheduled {batch.moved} hearings ({batch.moved_later} later than the rule's "
          f"date) in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
          f"({'PASS' if elapsed < 60 else 'FAIL'} < 60 s)")
    print(f"notices issued: {Notice.objects.filter(reschedule_batch=batch).count()}; "
          f"notifications queued: {Notification.objects.count()}")
    from django_tasks_db.models import DBTaskResult

    from garita.hearings.tasks import notify_events

    tasks = list(DBTaskResult.objects.filter(task_path__endswith="notify_events"))
    cpu0, t0 = time.process_time(), time.perf_counter()
    with transaction.atomic():
        for t in tasks:
            notify_events.func(*t.args_kwargs["args"], **t.args_kwargs["kwargs"])
    drain, drain_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"notification tasks enqueued in the same transaction: {len(tasks)}; the worker's "
          f"fan-out through notify_bulk took {drain:.1f} s wall, {drain_cpu:.1f} s CPU more "
          f"({Notification.objects.count()} notifications queued)")
    rows = list(Hearing.objects.values_list("id", "starts_at"))
    adapt = connection.ops.adapt_datetimefield_value
    params = [(adapt(s), i) for i, s in rows]
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany("UPDATE hearings_hearing SET starts_at = %s WHERE id = %s", params)
    bare = time.perf_counter() - t0
    print(f"bare SQL UPDATE of the same {len(rows)} rows: {bare:.2f} s; "
          f"ratio {elapsed / bare:.1f}x")
    if path:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
