"""Benchmark: schedule N unscheduled cases (default 100,000) over 4 courts, 60 judges and
8 languages with `schedule_unscheduled` (what `garita hearings schedule` runs).

Prints the time, the number of constraint violations (checked independently by
hearings.domain.violations against what was written), and the mean wait against the
capacity lower bound. Usage: .venv/bin/python bench/hearings_schedule.py [N]
"""

from __future__ import annotations

import sys
import time

from hearings_common import build_world, setup_django


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = setup_django("schedule")
    world = build_world(n)
    print(f"setup: {world['cases']} cases in {world['setup_s']:.1f} s (not timed)")
    from django.utils import timezone

    from garita.hearings import domain, loader
    from garita.hearings.management.commands.hearings import CliClerk
    from garita.hearings.models import Hearing
    from garita.hearings.services import schedule_unscheduled
    from garita.notifications.models import Notification

    now = timezone.now()
    requests = {r.case_id: r for r in loader.requests_for(served_at=now)}
    slots = loader.slots(since=now)
    ports = loader.port_rules()
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = schedule_unscheduled(actor=CliClerk())
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"scheduled {report.scheduled} of {n} in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
          f"({'PASS' if elapsed < 60 else 'FAIL'} < 60 s); refused: {dict(report.refused)}")
    from django_tasks_db.models import DBTaskResult

    print(f"notifications queued inline: {Notification.objects.count()}; notification tasks "
          f"enqueued: {DBTaskResult.objects.filter(task_path__endswith='notify_events').count()}")
    rows = Hearing.objects.values_list("case_id", "session_id", "starts_at", "report_at",
                                       "report_port_id", "interpreter_mode", "court_id",
                                       "location_id", "served_at")
    assignments = []
    waits = []
    for cid, sid, starts, rep, pid, mode, court, loc, served in rows:
        r = requests[cid]
        # The scheduler used `now` as service time; the row stores the same instant.
        requests[cid] = domain.Request(**{**r.__dict__, "served_at": served})
        assignments.append(domain.Assignment(cid, sid, starts, rep, pid, mode, court, loc))
        waits.append((starts - served).total_seconds() / 86400)
    bad = domain.violations(assignments, requests, {s.id: s for s in slots}, ports,
                            loader.interpreter_lookup())
    print(f"constraint violations: {len(bad)}")
    placed = [requests[a.case_id] for a in assignments]
    mean = sum(waits) / len(waits) if waits else 0.0
    bound = domain.capacity_lower_bound_wait(placed, slots, ports)
    print(f"mean wait: {mean:.2f} days; capacity lower bound: {bound:.2f} days "
          f"(ratio {mean / bound if bound else float('nan'):.3f})")
    if path:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
