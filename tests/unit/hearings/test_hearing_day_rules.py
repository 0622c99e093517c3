"""Hearing-day rules in pure code: check-in times, escort runs, arrivals at court."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from garita.hearings import domain

UTC = dt.UTC
START = dt.datetime(2019, 7, 1, 15, 30, tzinfo=UTC)  # 08:30 in San Diego


def member(i: int, **kw) -> domain.EscortMember:
    base = {"hearing_id": i, "report_port_id": 1, "scheduled": True, "checked_in": True,
            "in_run": False}
    base.update(kw)
    return domain.EscortMember(**base)


def test_check_in_at_the_report_time_is_accepted():
    at = START - dt.timedelta(hours=4)
    assert domain.check_in_problem(at=at, starts_at=START, now=START) is None


def test_check_in_in_the_future_is_refused():
    now = START - dt.timedelta(hours=5)
    assert domain.check_in_problem(at=now + dt.timedelta(hours=1), starts_at=START,
                                   now=now) == "checkin.in_future"


def test_check_in_days_before_the_hearing_belongs_to_another_hearing():
    at = START - dt.timedelta(days=2)
    assert domain.check_in_problem(at=at, starts_at=START, now=START) == "checkin.too_early"


def test_check_in_after_the_hearing_began_is_the_truth_and_is_recorded():
    at = START + dt.timedelta(minutes=30)
    assert domain.check_in_problem(at=at, starts_at=START, now=at) is None


def test_an_escort_run_needs_someone():
    assert domain.escort_run_problem([], persons_per_run=40) == ("escort.empty", [])


def test_an_escort_run_takes_only_people_checked_in():
    got = domain.escort_run_problem([member(1), member(2, checked_in=False)],
                                    persons_per_run=40)
    assert got == ("escort.not_checked_in", [2])


def test_an_escort_run_leaves_from_one_port():
    got = domain.escort_run_problem([member(1), member(2, report_port_id=2)],
                                    persons_per_run=40)
    assert got is not None and got[0] == "escort.mixed_ports"


def test_no_one_rides_two_runs():
    got = domain.escort_run_problem([member(1, in_run=True)], persons_per_run=40)
    assert got == ("escort.already_in_run", [1])


def test_people_without_a_port_or_a_scheduled_hearing_are_not_escorted():
    assert domain.escort_run_problem([member(1, report_port_id=None)],
                                     persons_per_run=40) == ("escort.no_port", [1])
    assert domain.escort_run_problem([member(1, scheduled=False)],
                                     persons_per_run=40) == ("escort.not_scheduled", [1])


def test_a_run_is_within_the_ports_persons_per_run():
    assert domain.escort_run_problem([member(i) for i in range(3)], persons_per_run=3) is None
    got = domain.escort_run_problem([member(i) for i in range(4)], persons_per_run=3)
    assert got == ("escort.over_capacity", [3])


@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=12),
       st.integers(min_value=1, max_value=10))
def test_an_accepted_run_never_breaks_a_rule(flags, cap):
    members = [member(i, scheduled=s, checked_in=c, in_run=r)
               for i, (s, c, r) in enumerate(flags)]
    if domain.escort_run_problem(members, persons_per_run=cap) is None:
        assert 0 < len(members) <= cap
        assert all(m.scheduled and m.checked_in and not m.in_run for m in members)


def test_arrival_rules():
    left = START - dt.timedelta(hours=2)
    assert domain.arrival_problem(departed_at=left, arrived_at=START, already_arrived=False,
                                  now=START) is None
    assert domain.arrival_problem(departed_at=left, arrived_at=left - dt.timedelta(minutes=1),
                                  already_arrived=False, now=START) == \
        "escort.arrival_before_departure"
    assert domain.arrival_problem(departed_at=left, arrived_at=START + dt.timedelta(hours=1),
                                  already_arrived=False, now=START) == "escort.arrival_in_future"
    assert domain.arrival_problem(departed_at=left, arrived_at=START, already_arrived=True,
                                  now=START) == "escort.already_arrived"


def test_checked_in_before_the_hearing_began_is_never_an_absence():
    assert domain.checked_in_in_time(checked_in_at=START - dt.timedelta(hours=4),
                                     starts_at=START)
    assert domain.checked_in_in_time(checked_in_at=START, starts_at=START)
    assert not domain.checked_in_in_time(checked_in_at=START + dt.timedelta(minutes=1),
                                         starts_at=START)
    assert not domain.checked_in_in_time(checked_in_at=None, starts_at=START)
