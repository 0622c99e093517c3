"""`garita fault_drill burst|count`: a long audited write to kill in the middle (fault tests).

`burst` appends N audit events in ONE transaction, pausing between them and reporting
progress to a file, so a SIGKILL lands mid-write; afterwards there must be 0 or N events.
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

    def handle(self, *args: object, **opts: Any) -> None:
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
