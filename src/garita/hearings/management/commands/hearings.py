"""`garita hearings schedule|export|reference`: the scheduler and the docket export for clerks.

Thin: parses flags, calls one service or selector, prints. Runs as a named staff user
(`--as`), or as the built-in "cli" court clerk whose actions are audited under that label.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class CliClerk:
    """The command line acting as a court clerk; audited as `cli`."""

    pk = None
    role = "court_clerk"
    is_authenticated = True
    is_active = True

    def get_username(self) -> str:
        return "cli"


def _actor(username: str | None) -> Any:
    if not username:
        return CliClerk()
    from garita.accounts.models import User

    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as exc:
        raise CommandError(f"no active user {username!r}") from exc


class Command(BaseCommand):
    help = "Schedule unscheduled cases, export the docket, or load the court reference data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("schedule", help="First hearing for every case without one.")
        s.add_argument("--as", dest="actor", default=None, help="Staff username to act as.")
        s.add_argument("--no-progress", action="store_true")
        e = sub.add_parser("export", help="One row per scheduled hearing.")
        e.add_argument("--format", choices=["csv"], default="csv")
        e.add_argument("--output", "-o", default="-", help="File (default: stdout).")
        e.add_argument("--court", default=None, help="Court slug.")
        r = sub.add_parser("reference", help="Load courts, judges, interpreters and sessions.")
        r.add_argument("--from", dest="start", required=False)
        r.add_argument("--to", dest="end", required=False)

    def handle(self, *args: object, **opts: Any) -> None:
        action = opts["action"]
        if action == "schedule":
            self._schedule(opts)
        elif action == "export":
            self._export(opts)
        else:
            self._reference(opts)

    def _schedule(self, opts: dict[str, Any]) -> None:
        from garita.hearings.services import schedule_unscheduled

        actor = _actor(opts["actor"])
        show = sys.stdout.isatty() and not opts["no_progress"]
        if show:
            from rich.progress import Progress

            with Progress() as bar:
                task = bar.add_task("Scheduling", total=None)

                def tick(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                report = schedule_unscheduled(actor=actor, progress=tick)
        else:
            report = schedule_unscheduled(actor=actor)
        self.stdout.write(f"scheduled {report.scheduled}")
        for code, n in sorted(report.refused.items()):
            self.stdout.write(f"not scheduled ({code}): {n}")

    def _export(self, opts: dict[str, Any]) -> None:
        from garita.hearings.selectors import export_rows, write_csv

        out = sys.stdout if opts["output"] == "-" else open(opts["output"], "w", newline="")  # noqa: SIM115
        try:
            n = write_csv(export_rows(court_slug=opts["court"]), out)
        finally:
            if out is not sys.stdout:
                out.close()
        if out is not sys.stdout:
            self.stdout.write(f"wrote {n} rows to {opts['output']}")

    def _reference(self, opts: dict[str, Any]) -> None:
        import datetime as dt

        from django.utils import timezone

        from garita.hearings.reference import ensure_hearing_reference, ensure_sessions

        ensure_hearing_reference()
        today = timezone.localdate()
        start = dt.date.fromisoformat(opts["start"]) if opts["start"] else today
        end = dt.date.fromisoformat(opts["end"]) if opts["end"] else today + dt.timedelta(180)
        self.stdout.write(f"sessions created: {ensure_sessions(start, end)}")
