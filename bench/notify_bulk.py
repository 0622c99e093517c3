"""Benchmark: queue the notices of N changed hearings (default 100,000) through
`notifications.notify_bulk`, in chunks of 5,000 events as the worker does after a mass
reschedule. Usage: .venv/bin/python bench/notify_bulk.py [N]
"""

from __future__ import annotations

import sys
import time

from hearings_common import build_world, setup_django


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = setup_django("notify")
    build_world(n, days=160)
    from django.db import transaction

    from garita.hearings.management.commands.hearings import CliClerk
    from garita.hearings.models import Hearing
    from garita.hearings.services import schedule_unscheduled
    from garita.notifications.models import Notification
    from garita.notifications.services import HEARING_CHANGED, CaseEvent, notify_bulk

    schedule_unscheduled(actor=CliClerk(), notify=False)
    events = [CaseEvent(c, HEARING_CHANGED, h, "bench")
              for h, c in Hearing.objects.values_list("id", "case_id")]
    cpu0, t0 = time.process_time(), time.perf_counter()
    with transaction.atomic():
        queued = sum(notify_bulk(events[i:i + 5000]) for i in range(0, len(events), 5000))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"notify_bulk: {len(events)} events -> {queued} notifications queued in "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    cpu0, t0 = time.process_time(), time.perf_counter()
    with transaction.atomic():
        again = sum(notify_bulk(events[i:i + 5000]) for i in range(0, len(events), 5000))
    print(f"the same events again (idempotent): {again} new in "
          f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - cpu0:.1f} s CPU; "
          f"{Notification.objects.count()} rows in the outbox")
    if path:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
