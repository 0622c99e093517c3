"""Waitlist figures from a fake daily history, and the what-if simulation's behaviour."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from garita.core.errors import DomainError
from garita.stats import whatif
from garita.stats.selectors import waitlist_figures_from

START = dt.date(2019, 7, 1)


@dataclass
class DayStat:
    date: dt.date
    capacity_persons: int
    persons_called: int
    persons_present: int
    groups_waiting: int
    persons_waiting: int


def test_length_of_wait_is_people_waiting_over_people_processed_per_day():
    history = [DayStat(START + dt.timedelta(days=i), 40, 42, 40, 90, 9150 - i) for i in range(30)]
    f = waitlist_figures_from("san-ysidro", "San Ysidro", history)
    assert f.available
    assert f.processed_per_day == 40.0
    assert f.capacity_per_day == 40.0
    assert f.persons_waiting == 9120  # 9121 rounded to 5
    assert f.wait_days == round(9121 / 40)


def test_small_daily_counts_are_hidden_in_the_waitlist_series():
    history = [DayStat(START + dt.timedelta(days=i), 5, 5, 4, 3, 30) for i in range(10)]
    f = waitlist_figures_from("san-ysidro", "San Ysidro", history)
    assert all(present is None for _, _, present in f.series)


def test_no_history_means_no_waitlist_data():
    assert not waitlist_figures_from("x", "X", None).available
    assert not waitlist_figures_from("x", "X", []).available


BASE = whatif.Scenario(start=START, months=6, initial_waitlist=5000, arrivals_per_day=40,
                       port_capacity_per_day=40, mpp_share=0.6, initial_backlog=2000,
                       judges=2, sessions_per_week=5, cases_per_session=20, hearings_per_case=3)


def test_the_simulation_is_repeatable_and_reports_each_month():
    a, b = whatif.simulate(BASE), whatif.simulate(BASE)
    assert a == b
    assert [m.month for m in a.months] == [dt.date(2019, m, 1) for m in range(7, 13)]


def test_more_port_capacity_shortens_the_waitlist():
    base = whatif.simulate(BASE).months[-1].waitlist
    more = whatif.simulate(replace(BASE, port_capacity_per_day=80)).months[-1].waitlist
    assert more < base
    assert more == 0  # 80 a day empties 5,000 + 40 a day well within six months


def test_more_judges_shrink_the_backlog():
    base = whatif.simulate(BASE).months[-1].backlog
    more = whatif.simulate(replace(BASE, judges=6)).months[-1].backlog
    assert more < base


def test_no_judges_means_no_decisions():
    res = whatif.simulate(replace(BASE, judges=0))
    assert all(m.decided == 0 for m in res.months)


@pytest.mark.parametrize("params", [{"judges": "-1"}, {"mpp_share": "2"}, {"months": "x"},
                                    {"cases_per_session": "0"}])
def test_out_of_range_parameters_are_refused(params):
    with pytest.raises(DomainError) as exc:
        whatif.apply_params(BASE, params)
    assert exc.value.code == "whatif.bad_parameter"


def test_a_failing_waitlist_module_reads_as_no_waitlist_data(monkeypatch, db):
    import types

    from garita.core.reference import ensure_reference_data
    from garita.stats import selectors

    ensure_reference_data()

    def broken(port, days):
        raise RuntimeError("waitlist is down")

    fake = types.SimpleNamespace(daily_history=broken)
    monkeypatch.setattr("garita.waitlist.selectors", fake, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "garita.waitlist.selectors", fake)
    assert selectors.daily_history("san-ysidro", 30) is None
    assert not selectors.waitlist_figures_from("san-ysidro", "San Ysidro", None).available
