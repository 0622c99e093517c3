"""Benchmark: screening demo seed for N people (default 100,000) on a fresh SQLite database.

Creates encounters, people and cases in bulk (not timed), then times `screening.demo.seed`,
which must stay well under 30 s for 100k people. Prints the figures.
Run: .venv/bin/python bench/screening_seed.py [--people 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="garita-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from garita.accounts.models import User
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.core.seeding import SeedContext
    from garita.intake.models import Case, Encounter, Person
    from garita.screening import demo
    from garita.screening.models import FearClaim, OrrReferral, ScreeningDecision

    ensure_reference_data()
    rng = random.Random(2019)
    port = Port.objects.get(slug="san-ysidro")
    officer = User.objects.create(username="bench-officer", role="port_officer")
    nats = ["HND"] * 30 + ["GTM"] * 25 + ["SLV"] * 10 + ["CUB"] * 10 + ["VEN"] * 5 + \
        ["NIC"] * 5 + ["ECU"] * 5 + ["BRA"] * 3 + ["MEX"] * 2 + ["HTI"] * 5
    t0 = time.perf_counter()
    encounters, sizes = [], []
    n = 0
    while n < args.people:
        kind = rng.random()
        size = 1 if kind < 0.55 else min(rng.randint(2, 5), args.people - n)
        family_type = "single_adult" if size == 1 else "family_unit"
        if size == 1 and rng.random() < 0.03:
            family_type = "unaccompanied_child"
        day = dt.date(2019, 1, 28) + dt.timedelta(days=rng.randint(0, 700))
        occurred = dt.datetime.combine(day, dt.time(15, 0), tzinfo=dt.UTC)
        encounters.append(Encounter(port=port, occurred_at=occurred, officer=officer,
                                    family_type=family_type))
        sizes.append(size)
        n += size
    Encounter.objects.bulk_create(encounters, batch_size=5000)
    people = []
    for enc, size in zip(encounters, sizes, strict=True):
        nat = rng.choice(nats)
        for i in range(size):
            adult = i < 2 and enc.family_type != "unaccompanied_child"
            born = dt.date(rng.randint(1960, 2000) if adult else rng.randint(2003, 2018),
                           rng.randint(1, 12), rng.randint(1, 28))
            people.append(Person(encounter=enc, given_names="Ana", surnames="López",
                                 date_of_birth=born, nationality=nat, languages=["spa"],
                                 sex=rng.choice("FM"), is_head=i == 0))
    Person.objects.bulk_create(people, batch_size=5000)
    Case.objects.bulk_create(
        [Case(person=p, a_number=f"A{300_000_000 + i:09d}", port=port, status="encountered",
              status_changed_at=timezone.now()) for i, p in enumerate(people)],
        batch_size=5000)
    setup = time.perf_counter() - t0
    ctx = SeedContext(people=args.people, seed=2019, rng=random.Random(2019),
                      today=dt.date(2021, 1, 20), progress=False)
    t1, c1 = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            demo.seed(ctx)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        demo.seed(ctx)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"database: {os.environ['DATABASE_URL'].split('://')[0]}")
    print(f"people: {len(people)} in {len(encounters)} encounters (setup {setup:.1f} s)")
    print(f"screening seed: {elapsed:.1f} s wall, {cpu:.1f} s CPU "
          f"({len(people) / elapsed:,.0f} people/s wall)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"decisions: {ScreeningDecision.objects.count()}, "
          f"fear claims: {FearClaim.objects.count()}, "
          f"ORR referrals: {OrrReferral.objects.count()}")
    for line in ctx.log:
        print(line)
    if not args.database_url:
        from django.db import connection

        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
