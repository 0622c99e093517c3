"""`garita fault_drill burst|count|waitlist-*`: writes to kill in the middle (fault tests).

`burst` appends N audit events in ONE transaction, pausing between them and reporting
progress to a file, so a SIGKILL lands mid-write; afterwards there must be 0 or N events.
`waitlist-call` runs the real `waitlist.services.call_next` and holds it open after the groups
are marked called and the transparency log appended, so a SIGKILL lands at its worst point.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from garita.audit import services as audit
from garita.audit.models import AuditEvent

ACTION = "fault_drill.burst"


class Command(BaseCommand):
    help = "Fault-drill helpers: a long all-or-nothing audited write, and counting its events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        burst = sub.add_parser("burst", help="Append N audit events in one transaction.")
        burst.add_argument("--label", required=True)
        burst.add_argument("--events", type=int, default=200)
        burst.add_argument("--pause-ms", type=int, default=10)
        burst.add_argument("--progress-file", type=Path, default=None)
        count = sub.add_parser(
            "count", help="Print how many burst events a label has and whether the chain verifies."
        )
        count.add_argument("--label", required=True)
        ws = sub.add_parser("waitlist-setup", help="A port's waitlist with N groups waiting.")
        ws.add_argument("--port", required=True)
        ws.add_argument("--groups", type=int, default=40)
        wc = sub.add_parser("waitlist-call", help="call_next, held open before commit.")
        wc.add_argument("--port", required=True)
        wc.add_argument("--capacity", type=int, default=20)
        wc.add_argument("--hold-s", type=float, default=0)
        wc.add_argument("--progress-file", type=Path, default=None)
        wst = sub.add_parser("waitlist-state", help="Calls, called groups, log size (JSON).")
        wst.add_argument("--port", required=True)

    def handle(self, *args: object, **opts: Any) -> None:
        if opts["action"].startswith("waitlist-"):
            self.stdout.write(json.dumps(_waitlist_drill(opts)))
            return
        label = str(opts["label"])
        if opts["action"] == "count":
            from garita.audit.selectors import verify_chain

            n = AuditEvent.objects.filter(action=ACTION, object_id=label).count()
            report = verify_chain()
            self.stdout.write(json.dumps({"label": label, "events": n, "chain_ok": report.ok,
                                          "chain_checked": report.checked,
                                          "problem": report.problem}))
            return
        events = int(opts["events"])
        pause = int(opts["pause_ms"]) / 1000
        progress: Path | None = opts["progress_file"]
        with transaction.atomic():
            for i in range(events):
                audit.record(actor="fault-drill", action=ACTION, object_type="ops.drill",
                             object_id=label, new={"step": i, "of": events})
                if progress is not None:
                    progress.write_text(str(i + 1))
                if pause:
                    time.sleep(pause)
        self.stdout.write(json.dumps({"label": label, "events": events, "committed": True}))


def _drill_officer() -> Any:
    from garita.accounts.models import User
    from garita.accounts.roles import Role

    user, _created = User.objects.get_or_create(
        username="fault-drill-officer", defaults={"role": Role.PORT_OFFICER})
    return user


def _waitlist_drill(opts: dict[str, Any]) -> dict[str, Any]:
    from garita.core.reference import ensure_reference_data
    from garita.waitlist import log as wlog
    from garita.waitlist import services as wl_services
    from garita.waitlist.models import Call, Group, GroupStatus, LogEvent

    port = str(opts["port"])
    if opts["action"] == "waitlist-setup":
        ensure_reference_data()
        officer = _drill_officer()
        for i in range(int(opts["groups"])):
            wl_services.register_group(actor=officer, port=port, members=[
                wl_services.MemberIn(given_names=f"Drill {i}", surnames="Prueba",
                                     nationality="HND")] * (1 + i % 3), allow_duplicate=True)
        return {"port": port, "groups": int(opts["groups"])}
    wl = wl_services.port_waitlist(port)
    if opts["action"] == "waitlist-call":
        progress: Path | None = opts["progress_file"]
        hold = float(opts["hold_s"])
        real_append = wlog.append

        def append_then_hold(waitlist: Any, events: Any) -> int:
            size = real_append(waitlist, events)
            if progress is not None:
                progress.write_text("1")  # groups called and log appended, not committed
            if hold:
                time.sleep(hold)
            return size

        wlog.append = append_then_hold
        try:
            call = wl_services.call_next(actor=_drill_officer(), port=port,
                                         capacity=int(opts["capacity"]))
        finally:
            wlog.append = real_append
        return {"call": call.pk, "groups": call.groups_count, "persons": call.persons}
    return {
        "calls": Call.objects.filter(waitlist=wl).count(),
        "groups_in_calls": sum(Call.objects.filter(waitlist=wl).values_list("groups_count",
                                                                             flat=True)),
        "called": Group.objects.filter(waitlist=wl).exclude(status=GroupStatus.WAITING)
        .count(),
        "waiting": Group.objects.filter(waitlist=wl, status=GroupStatus.WAITING).count(),
        "log_entries": LogEvent.objects.filter(waitlist=wl).count(),
    }
