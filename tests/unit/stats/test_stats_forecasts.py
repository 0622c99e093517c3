"""Forecasts: exact answers for a constant capacity, honest refusals without history, and
an 80% interval that covers the truth about 80% of the time on data with known rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest
from django.utils import translation

from garita.stats import forecasts
from garita.stats.forecasts import Forecast, forecast_from_queue, forecast_from_slips

START = dt.date(2019, 7, 1)


def test_constant_capacity_gives_an_exact_date():
    fc = forecast_from_queue(99, [10] * 30, START, method="t")
    assert fc == Forecast(low=START + dt.timedelta(days=9), high=START + dt.timedelta(days=9),
                          median=START + dt.timedelta(days=9), method="t")


def test_first_in_line_with_capacity_today_is_called_today():
    fc = forecast_from_queue(0, [5] * 30, START, method="t")
    assert fc is not None and fc.low == fc.high == START


def test_no_forecast_without_enough_history_or_without_any_service():
    assert forecast_from_queue(10, [10] * 5, START, method="t") is None
    assert forecast_from_queue(10, [0] * 60, START, method="t") is None


def test_interval_is_ordered_and_widens_with_variable_capacity():
    rng = np.random.default_rng(1)
    steady = forecast_from_queue(500, [20] * 60, START, method="t")
    bursty = forecast_from_queue(500, list(rng.choice([0, 40], size=60)), START, method="t")
    assert steady and bursty
    assert bursty.low <= bursty.median <= bursty.high
    assert (bursty.high - bursty.low) > (steady.high - steady.low)


def _truth(ahead: int, rng: np.random.Generator, lam: float) -> int:
    cum = 0
    day = 0
    while True:
        cum += rng.poisson(lam)
        if cum >= ahead + 1:
            return day
        day += 1


@pytest.mark.parametrize("lam, ahead", [(20.0, 2000), (5.0, 300)])
def test_the_80_percent_interval_covers_the_truth_about_80_percent_of_the_time(lam, ahead):
    """Constant-rate Poisson service with a known rate: 200 independent worlds, each with
    90 days of history and one true future. Whole days make the interval slightly
    conservative, so it must cover between 75% and 92% of them."""
    rng = np.random.default_rng(2019)
    covered = 0
    trials = 200
    for i in range(trials):
        history = list(rng.poisson(lam, size=90))
        fc = forecast_from_queue(ahead, history, START, method="t", seed=i, trials=300)
        assert fc is not None
        truth = START + dt.timedelta(days=_truth(ahead, rng, lam))
        covered += fc.low <= truth <= fc.high
    assert 0.75 <= covered / trials <= 0.92


def test_a_scheduled_hearing_moves_by_observed_postponements():
    slips = [0] * 60 + [30] * 30 + [60] * 10
    fc = forecast_from_slips(START, slips, method="s")
    assert fc.low == START
    assert fc.high == START + dt.timedelta(days=30)
    few = forecast_from_slips(START, [0, 30], method="s")
    assert few.low == few.high == START and few.method == "scheduled"


def test_the_phrase_is_translated():
    fc = Forecast(low=dt.date(2019, 9, 3), high=dt.date(2019, 10, 17),
                  median=dt.date(2019, 9, 20), method="t")
    with translation.override("es"):
        assert fc.phrase().startswith("normalmente entre")
    with translation.override("en"):
        assert fc.phrase().startswith("usually between")


@dataclass
class DayStat:
    date: dt.date
    capacity_persons: int
    persons_called: int
    persons_present: int
    groups_waiting: int
    persons_waiting: int


def test_waitlist_number_forecast_uses_the_waitlist_history(monkeypatch):
    history = [DayStat(START - dt.timedelta(days=i), 40, 30, 28, 100, 1000) for i in range(60)]
    monkeypatch.setattr("garita.stats.selectors.daily_history", lambda slug, days: history)
    fc = forecasts.forecast_waitlist_number("san-ysidro", 17, persons_ahead=299, today=START)
    assert fc is not None
    assert fc.low == fc.high == START + dt.timedelta(days=9)  # 300 people at 30 a day


def test_waitlist_number_forecast_is_none_without_waitlist_data(monkeypatch):
    monkeypatch.setattr("garita.stats.selectors.daily_history", lambda slug, days: None)
    assert forecasts.forecast_waitlist_number("san-ysidro", 17, persons_ahead=10) is None
