"""Backtest of the waitlist forecast on synthetic histories with known rates (reproducible):
for a person joining the back of the queue every third day, forecast the day their number is
called from the previous 90 days of persons called, and compare with what then happened.

    .venv/bin/python bench/stats_backtest.py

Prints, per scenario, the mean absolute error of the median date (days), the 80% interval's
coverage, and its mean width. Scenarios: constant rates (the model's own assumptions), and
"Tijuana 2019" (capacity 42/day in January, 80 in May, 24 in June, under 5 in July: the
capacity changes the model cannot know in advance).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from garita.stats.forecasts import forecast_from_queue  # noqa: E402

START = dt.date(2018, 11, 1)


def capacity_constant(day: dt.date) -> float:
    return 40.0


def capacity_tijuana(day: dt.date) -> float:
    # Figures from the domain brief (San Diego Union-Tribune, KPBS reporting).
    if day < dt.date(2019, 1, 1):
        return 60.0
    if day < dt.date(2019, 2, 1):
        return 42.0
    if day < dt.date(2019, 5, 1):
        return 50.0
    if day < dt.date(2019, 6, 1):
        return 80.0
    if day < dt.date(2019, 7, 1):
        return 24.0
    return 5.0


def simulate_history(days: int, capacity, arrivals: float, initial: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    waiting = initial
    called = np.zeros(days, dtype=np.int64)
    queue = np.zeros(days, dtype=np.int64)
    for i in range(days):
        day = START + dt.timedelta(days=i)
        waiting += int(rng.poisson(arrivals))
        c = min(waiting, int(rng.poisson(capacity(day))))
        waiting -= c
        called[i] = c
        queue[i] = waiting
    return called, queue


def backtest(name: str, capacity, arrivals: float, initial: int, seeds: range,  # type: ignore[no-untyped-def]
             first: int, last: int, step: int = 7) -> None:
    days = 1200
    errors, covered, widths, n = [], 0, [], 0
    for seed in seeds:
        called, queue = simulate_history(days, capacity, arrivals, initial, seed)
        cum = np.cumsum(called)
        n, covered = _run(called, queue, cum, days, first, last, step, errors, widths, n, covered)
    print(f"{name:34} forecasts={n:5d} MAE={np.mean(errors):6.1f} days  "
          f"coverage80={covered / n:6.1%}  mean width={np.mean(widths):6.1f} days", flush=True)


def _run(called, queue, cum, days, first, last, step, errors, widths, n, covered):  # type: ignore[no-untyped-def]
    for t in range(first, last, step):
        ahead = int(queue[t])
        target = cum[t] + ahead + 1
        idx = int(np.searchsorted(cum, target))
        if idx >= days:
            continue  # censored: not called within the simulated horizon
        start = START + dt.timedelta(days=t + 1)
        truth = START + dt.timedelta(days=idx)
        fc = forecast_from_queue(ahead, list(called[t - 89:t + 1]), start, method="bt", seed=t)
        if fc is None:
            continue
        n += 1
        errors.append(abs((fc.median - truth).days))
        covered += fc.low <= truth <= fc.high
        widths.append((fc.high - fc.low).days)
    return n, covered


def main() -> None:
    backtest("constant 40/day, 40 arrivals/day", capacity_constant, 40.0, 3000, range(10),
             120, 600)
    backtest("constant 40/day, 38 arrivals/day", capacity_constant, 38.0, 6000, range(10, 20),
             120, 600)
    backtest("Tijuana 2019 capacities", capacity_tijuana, 30.0, 3000, range(20, 30), 90, 330)


if __name__ == "__main__":
    main()
