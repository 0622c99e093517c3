"""`garita seed`: deterministic, realistic synthetic data (see garita.core.seeding)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from garita.core.seeding import SEED_ORDER, SeedContext, run_seed


class Command(BaseCommand):
    help = "Fill the database with deterministic synthetic demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="Pretend today is this date (YYYY-MM-DD).")
        parser.add_argument("--lookups", type=Path, default=None,
                            help="Write sample hotline look-ups (A-number, PIN, language) as JSON.")
        parser.add_argument("--only", nargs="*", choices=SEED_ORDER, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **opts: Any) -> None:
        people = int(opts["people"])
        if people < 0:
            from django.core.management.base import CommandError

            raise CommandError("--people must be zero or more")
        seed = int(opts["seed"])
        from django.utils import timezone

        today = opts["today"] or timezone.localdate()
        ctx = SeedContext(
            people=people, seed=seed, rng=random.Random(seed), today=today,
            progress=not opts["no_progress"], lookups_path=opts["lookups"],
        )
        run_seed(ctx, only=opts["only"])
        for line in ctx.log:
            self.stdout.write(line)
        if ctx.timings:
            parts = ", ".join(f"{app} {secs:.1f} s" for app, secs in ctx.timings.items())
            self.stdout.write(f"seeded {people} people in {sum(ctx.timings.values()):.1f} s "
                              f"({parts})")
