"""Data and read-outs for the kill drills, run as a separate process against a drill stack.

    python bench/faults/world.py setup --cases 600 --groups 200 --tokens tokens.json
    python bench/faults/world.py reminders-due --hearings 150
    python bench/faults/world.py state

`setup` builds 4 courts with sessions, N cases with phones and hearings scheduled by the
real scheduler (bench/hearings_common.py), a waitlist at san-ysidro with groups waiting,
and a court clerk and a port officer with API tokens. `reminders-due` moves K escorted
hearings to later today so that their report-time reminders are due now: the worker's
next tick plans and sends them. `state` prints one JSON object with everything the drill
checks: hearings, reschedules, notifications, tasks, waitlist, the provider's journal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")

import django  # noqa: E402

django.setup()

PORT = "san-ysidro"


def setup(cases: int, groups: int, tokens: Path) -> dict[str, object]:
    from hearings_common import build_world

    from garita.accounts.models import ApiToken, User
    from garita.core.reference import ensure_reference_data
    from garita.hearings.management.commands.hearings import CliClerk
    from garita.hearings.services import schedule_unscheduled
    from garita.waitlist import services as wl

    ensure_reference_data()
    world = build_world(cases, days=200)
    report = schedule_unscheduled(actor=CliClerk(), notify=False)
    officer, _ = User.objects.get_or_create(username="drill-officer",
                                            defaults={"role": "port_officer"})
    clerk, _ = User.objects.get_or_create(username="drill-clerk",
                                          defaults={"role": "court_clerk"})
    for i in range(groups):
        wl.register_group(actor=officer, port=PORT, members=[
            wl.MemberIn(given_names=f"Drill {i}", surnames="Prueba", nationality="HND")
        ] * (1 + i % 3), allow_duplicate=True)
    out = {"officer": ApiToken.issue(officer, "drill")[1],
           "clerk": ApiToken.issue(clerk, "drill")[1]}
    tokens.write_text(json.dumps(out))
    return {"cases": world["cases"], "scheduled": report.scheduled, "groups": groups}


def reminders_due(hearings: int) -> dict[str, object]:
    """K escorted hearings start in 6 hours; their report-time reminder falls due now."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from garita.hearings.models import Hearing, HearingStatus

    now = timezone.now()
    lead = dt.timedelta(minutes=settings.GARITA_REPORT_REMINDER_LEAD_MINUTES)
    ids = list(Hearing.objects.filter(status=HearingStatus.SCHEDULED,
                                      report_at__isnull=False)
               .order_by("-id").values_list("id", flat=True)[:hearings])
    report_at = now + lead - dt.timedelta(minutes=5)
    Hearing.objects.filter(pk__in=ids).update(starts_at=now + dt.timedelta(hours=6),
                                              report_at=report_at)
    return {"hearings": len(ids)}


def _by_event(notes: Any, delivered: Counter[Any]) -> dict[str, int]:
    """The provider's deliveries counted by their notification's event."""
    event = dict(notes.filter(id__in=list(delivered)).values_list("id", "event"))
    out: Counter[str] = Counter()
    for nid, n in delivered.items():
        out[event.get(nid, "?")] += n
    return dict(out)


def state() -> dict[str, object]:
    from django.conf import settings
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from garita.audit.selectors import verify_chain
    from garita.hearings.models import Hearing, HearingChange, RescheduleBatch
    from garita.notices.models import Notice
    from garita.notifications.models import Notification, NotificationStatus
    from garita.notifications.providers import FileProvider
    from garita.waitlist import log as wlog
    from garita.waitlist.models import Call, Group, GroupStatus, LogEvent, Waitlist

    now = timezone.now()
    h = hashlib.sha256()
    for row in Hearing.objects.order_by("id").values_list("id", "starts_at", "session_id",
                                                          "version"):
        h.update(repr(row).encode())
    batches = list(RescheduleBatch.objects.order_by("id").values("id", "moved"))
    changes = Counter(HearingChange.objects.values_list("batch_id", flat=True))
    notes = Notification.objects.all()
    by_status = Counter(notes.values_list("status", flat=True))
    journal = FileProvider(Path(settings.GARITA_OUTBOX_DIR)).deliveries()
    delivered = Counter(d["notification"] for d in journal if d["result"] == "delivered")
    sent_ids = set(notes.filter(status__in=[NotificationStatus.SENT,
                                            NotificationStatus.DELIVERED])
                   .values_list("id", flat=True))
    problems = []
    twice = sorted(k for k, v in delivered.items() if v > 1)
    if twice:
        problems.append(f"delivered more than once: {twice[:10]}")
    lost = sorted(sent_ids - set(delivered))
    if lost:
        problems.append(f"SENT in the outbox but never delivered: {lost[:10]}")
    phantom = sorted(set(delivered) - sent_ids)
    if phantom:
        problems.append(f"delivered but not SENT in the outbox: {phantom[:10]}")
    tasks = Counter(DBTaskResult.objects.filter(task_path__endswith="notify_events")
                    .values_list("status", flat=True))
    wl = Waitlist.objects.filter(port__slug=PORT).first()
    waitlist: dict[str, object] = {}
    if wl is not None:
        calls = Call.objects.filter(waitlist=wl)
        res = wlog.verify(wl)
        waitlist = {
            "calls": calls.count(),
            "groups_in_calls": sum(calls.values_list("groups_count", flat=True)),
            "called": Group.objects.filter(waitlist=wl).exclude(status=GroupStatus.WAITING)
            .count(),
            "waiting": Group.objects.filter(waitlist=wl, status=GroupStatus.WAITING).count(),
            "log_entries": LogEvent.objects.filter(waitlist=wl).count(),
            "log_ok": res.ok, "log_problem": res.problem,
        }
    chain = verify_chain()
    from garita.audit.models import AuditEvent

    recovered: Counter[str] = Counter()
    for new in AuditEvent.objects.filter(action="notifications.dispatched").values_list(
            "new", flat=True):
        for k, v in (new or {}).items():
            if k.startswith("recovered_") or k == "unknown":
                recovered[k.removeprefix("recovered_")] += int(v)
    requeued = sum(int((n or {}).get("requeued", 0)) for n in AuditEvent.objects.filter(
        action="tasks.orphans_requeued").values_list("new", flat=True))
    return {
        "recovered": dict(recovered),
        "tasks_requeued": requeued,
        "hearings_fingerprint": h.hexdigest(),
        "batches": batches,
        "changes_per_batch": {str(k): v for k, v in changes.items()},
        "notices_per_batch": {str(k): v for k, v in Counter(
            Notice.objects.exclude(reschedule_batch=None)
            .values_list("reschedule_batch_id", flat=True)).items()},
        # one per (hearing, new time): each moved hearing's notice, whatever its channels
        "changed_notices": len({(hid, (ctx or {}).get("version")) for hid, ctx in notes.filter(
            event="hearing_changed").values_list("hearing_id", "context")}),
        "notifications": dict(by_status),
        "due_queued": notes.filter(status=NotificationStatus.QUEUED, send_after__lte=now)
        .count(),
        "sending": by_status.get(NotificationStatus.SENDING, 0),
        "reminders": notes.filter(event="reminder_report").count(),
        "deliveries": sum(delivered.values()),
        "deliveries_by_event": _by_event(notes, delivered),
        "journal_lines": len(journal),
        "notify_tasks": dict(tasks),
        "outbox_problems": problems,
        "waitlist": waitlist,
        "chain_ok": chain.ok, "chain_checked": chain.checked, "chain_problem": chain.problem,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--cases", type=int, default=600)
    s.add_argument("--groups", type=int, default=200)
    s.add_argument("--tokens", type=Path, required=True)
    r = sub.add_parser("reminders-due")
    r.add_argument("--hearings", type=int, default=150)
    sub.add_parser("state")
    args = parser.parse_args()
    if args.action == "setup":
        out = setup(args.cases, args.groups, args.tokens)
    elif args.action == "reminders-due":
        out = reminders_due(args.hearings)
    else:
        out = state()
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
