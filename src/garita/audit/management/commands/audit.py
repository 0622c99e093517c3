"""`garita audit verify`: recompute the audit hash chain and name the first broken link.

`garita audit seal`: move the unsealed read events (hotline look-ups) into the chain now
(`garita worker` does it every minute).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Verify the hash chain of the audit log.")
        sub.add_parser("seal", help="Chain the read events that are waiting to be sealed.")

    def handle(self, *args: object, **opts: object) -> None:
        from rich.progress import Progress

        if opts["action"] == "seal":
            from garita.audit.services import UnsealedEventChanged, seal

            try:
                n = seal()
            except UnsealedEventChanged as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"audit: sealed {n} events into the chain")
            return
        total = AuditEvent.objects.count()
        with Progress(transient=True, disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("verifying", total=total)
            report = verify_chain(progress=lambda n: bar.advance(task, n))
        if not report.ok:
            where = (f"at event #{report.first_bad_seq}" if report.first_bad_seq is not None
                     else "in the unsealed tail")
            raise CommandError(
                f"audit chain BROKEN {where}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        tail = ""
        if report.unsealed:
            tail = (f"; {report.unsealed} unsealed events OK (oldest "
                    f"{report.oldest_unsealed:%Y-%m-%d %H:%M:%S} UTC; `garita audit seal`)")
        self.stdout.write(f"audit chain OK: {report.checked} events{tail}")
