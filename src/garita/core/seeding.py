"""Deterministic demo data: the orchestrator that `garita seed` runs.

Each app that has demo data exposes `seed(ctx)` in its `demo` module; they run in journey
order and share one SeedContext (one random generator from --seed), so a seed is repeatable.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    # Seconds each app's seed took (for `garita seed` output and benchmarks).
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.log.append(line)


@contextmanager
def progress(ctx: SeedContext, description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar when `ctx.progress` and stdout is a terminal; else a no-op.

    Usage: `with progress(ctx, "intake: people", n) as advance: ... advance(batch)`.
    """
    if not ctx.progress or not sys.stdout.isatty() or total <= 0:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


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
        started = time.perf_counter()
        module.seed(ctx)
        ctx.timings[app] = time.perf_counter() - started
    return ctx
