"""Deterministic demo data: the orchestrator that `garita seed` runs.

Each app that has demo data exposes `seed(ctx)` in its `demo` module; they run in journey
order and share one SeedContext (one random generator from --seed), so a seed is repeatable.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED_ORDER = ("intake", "screening", "waitlist", "hearings", "notices", "hotline",
              "notifications", "stats")


@dataclass
class SeedContext:
    people: int
    seed: int
    rng: random.Random
    today: dt.date
    progress: bool = True
    lookups_path: Path | None = None
    # Apps leave things here for the ones after them (e.g. created case ids, sample PINs).
    shared: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)


def run_seed(ctx: SeedContext, only: list[str] | None = None) -> SeedContext:
    from garita.core.reference import ensure_reference_data

    ensure_reference_data()
    for app in SEED_ORDER:
        if only and app not in only:
            continue
        try:
            module = importlib.import_module(f"garita.{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"garita.{app}.demo":
                raise
            continue
        module.seed(ctx)
    return ctx
