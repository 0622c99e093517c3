"""Benchmark: how long intake's part of `garita seed` takes for N people on a fresh SQLite
database. Prints people, encounters, wall and CPU seconds, people per second and the load average.

Usage: .venv/bin/python bench/seed_intake.py [--people 100000] [--seed 2019]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="garita-bench-"))
    os.environ["GARITA_VAR_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command

    from garita.core.seeding import SeedContext, run_seed
    from garita.intake.models import Case, Encounter

    call_command("migrate", verbosity=0)
    ctx = SeedContext(people=args.people, seed=args.seed, rng=random.Random(args.seed),
                      today=dt.date(2020, 3, 20), progress=sys.stdout.isatty())
    started, cpu_started = time.perf_counter(), time.process_time()
    run_seed(ctx, only=["intake"])
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    load = os.getloadavg()[0]
    # On a shared machine the wall time depends on the neighbours; CPU time much less so.
    print(f"people={Case.objects.count()} encounters={Encounter.objects.count()} "
          f"seconds={seconds:.1f} cpu_seconds={cpu:.1f} "
          f"people_per_second={Case.objects.count() / seconds:.0f} load_average={load:.1f}")
    print(f"database={tmp / 'bench.sqlite3'}")


if __name__ == "__main__":
    main()
