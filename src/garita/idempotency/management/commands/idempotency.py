"""`garita idempotency purge`: delete the Idempotency-Key records past their retention
window (`garita worker` does it every minute; this is for installs without a worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Idempotency-Key records of the API: purge the expired ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("purge", help="Delete the records past their retention window.")

    def handle(self, *args: object, **opts: object) -> None:
        from garita.idempotency.services import purge

        self.stdout.write(f"idempotency: purged {purge()} expired records")
