"""Benchmark: rebuild the statistics tables and time `forecast_decision` over the data that
bench/stats_pages.py generated (run that first; same DATABASE_URL / --db).

    .venv/bin/python bench/stats_forecasts.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/garita_stats_bench \
        .venv/bin/python bench/stats_forecasts.py

The synthetic history ends in January 2021, so the clock is set to 15 January 2021.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_stats.sqlite3'}")
    import django

    django.setup()
    import django.utils.timezone as tzmod
    from django.core.management import call_command
    from django.db import connection

    from garita.intake.models import Case
    from garita.stats.forecasts import forecast_decision
    from garita.stats.services import rebuild_cube

    call_command("migrate", verbosity=0)
    fake_now = dt.datetime(2021, 1, 15, 20, tzinfo=dt.UTC)
    with mock.patch.object(tzmod, "now", lambda: fake_now):
        state = rebuild_cube()
    print(f"{connection.vendor}: rebuild {state.build_seconds:.1f} s")
    case = Case.objects.filter(status="in_proceedings").order_by("-id").first()
    for attempt in ("first", "second"):
        t = time.perf_counter()
        fc = forecast_decision(case, today=dt.date(2021, 1, 15))
        print(f"forecast_decision ({attempt} call): {time.perf_counter() - t:.3f} s -> {fc}")


if __name__ == "__main__":
    main()
