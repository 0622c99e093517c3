"""`garita audit verify`: recompute the audit hash chain and name the first broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Verify the hash chain of the audit log.")

    def handle(self, *args: object, **opts: object) -> None:
        from rich.progress import Progress

        total = AuditEvent.objects.count()
        with Progress(transient=True, disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("verifying", total=total)
            report = verify_chain(progress=lambda n: bar.advance(task, n))
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at event #{report.first_bad_seq}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        self.stdout.write(f"audit chain OK: {report.checked} events")
