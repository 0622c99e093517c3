"""`garita stats_refresh`: rebuild the statistics cube now (run it from cron in production so
no page ever waits for a rebuild)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from garita.stats.models import CubeCell
from garita.stats.services import rebuild_cube


class Command(BaseCommand):
    help = "Rebuild the statistics cube from cases and hearings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: object, **opts: object) -> None:
        state = rebuild_cube()
        if not opts["quiet"]:
            self.stdout.write(
                f"statistics rebuilt: {CubeCell.objects.count()} cells in "
                f"{state.build_seconds:.2f} s (data version {state.built_version})"
            )
