"""Reschedule rules, the late-escort rule, the in-absentia notice guard, rescission window."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.hearings import domain
from garita.hearings.domain import NoticeFact, RescheduleRule

T = dt.datetime(2019, 6, 3, 15, 0, tzinfo=dt.UTC)


def test_may_2020_rule_moves_one_month_after_the_last_noticed_date():
    assert RescheduleRule("may_2020").target(dt.date(2020, 5, 12)) == dt.date(2020, 6, 12)


def test_may_2020_rule_moves_a_weekend_date_to_the_next_monday():
    # 13 June 2020 was a Saturday, 14 June a Sunday.
    assert RescheduleRule("may_2020").target(dt.date(2020, 5, 13)) == dt.date(2020, 6, 15)
    assert RescheduleRule("may_2020").target(dt.date(2020, 5, 14)) == dt.date(2020, 6, 15)


def test_may_2020_rule_clamps_the_31st_to_the_end_of_a_shorter_month():
    assert RescheduleRule("may_2020").target(dt.date(2019, 1, 31)) == dt.date(2019, 2, 28)


def test_plus_days_and_fixed_rules():
    assert RescheduleRule("plus_days", days=30).target(dt.date(2020, 3, 23)) == dt.date(
        2020, 4, 22)
    assert RescheduleRule("fixed", date=dt.date(2020, 7, 1)).target(dt.date(2020, 3, 1)) == (
        dt.date(2020, 7, 1))


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        RescheduleRule("someday").target(dt.date(2020, 3, 1))


@given(st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_may_2020_rule_always_lands_on_a_weekday_about_a_month_later(d):
    target = RescheduleRule("may_2020").target(d)
    assert target.weekday() < 5
    assert 27 <= (target - d).days <= 33


@given(st.dates(), st.integers(0, 400))
def test_plus_days_rule_is_exactly_n_days(d, n):
    if d + dt.timedelta(days=n) > dt.date.max - dt.timedelta(days=1):
        return
    assert RescheduleRule("plus_days", days=n).target(d) == d + dt.timedelta(days=n)


def test_checked_in_on_time_can_never_be_a_no_show():
    assert domain.checked_in_in_time(checked_in_at=T - dt.timedelta(hours=4), starts_at=T)
    assert domain.checked_in_in_time(checked_in_at=T, starts_at=T)


def test_no_check_in_or_after_the_hearing_is_not_protected():
    assert not domain.checked_in_in_time(checked_in_at=None, starts_at=T)
    assert not domain.checked_in_in_time(checked_in_at=T + dt.timedelta(minutes=1), starts_at=T)


def nta(served: bool = True, place: bool = True, method: str = "in_person", proof: str = "",
        at: dt.datetime = T) -> NoticeFact:
    return NoticeFact(kind="nta", issued_at=at, served=served, has_time_and_place=place,
                      method=method, proof=proof)


def test_notice_is_proven_with_a_served_nta_with_time_and_place():
    assert domain.notice_not_proven_reasons([nta()]) == []


def test_notice_not_proven_without_an_nta():
    assert domain.notice_not_proven_reasons([]) == ["no_nta"]


def test_notice_not_proven_when_the_nta_lacked_time_and_place():
    assert "nta_without_time_and_place" in domain.notice_not_proven_reasons([nta(place=False)])


def test_notice_not_proven_when_a_later_notice_was_not_served():
    later = NoticeFact(kind="hearing_notice", issued_at=T + dt.timedelta(days=30), served=False,
                       has_time_and_place=True)
    assert domain.notice_not_proven_reasons([nta(), later]) == ["later_notice_not_served"]


def test_mail_service_needs_proof_of_attempted_delivery():
    assert domain.notice_not_proven_reasons([nta(method="mail")]) == ["mail_without_proof"]
    assert domain.notice_not_proven_reasons([nta(method="mail", proof="9400 1000")]) == []


def test_rescission_window_is_180_days():
    assert domain.rescission_deadline(dt.date(2020, 1, 1)) == dt.date(2020, 6, 29)


def test_hearing_before_service_plus_ten_days_is_too_soon():
    assert domain.too_soon(served_at=T, starts_at=T + dt.timedelta(days=9, hours=23),
                           waiver=False)
    assert not domain.too_soon(served_at=T, starts_at=T + dt.timedelta(days=10), waiver=False)
    assert not domain.too_soon(served_at=T, starts_at=T + dt.timedelta(days=2), waiver=True)


def test_interpreter_table_dated_absence_overrides_the_weekly_rota():
    monday = dt.date(2019, 6, 3)
    look = domain.interpreter_table([
        (1, "spa", "in_person", None, [0, 1, 2, 3, 4], True),
        (1, "spa", "in_person", monday, [], False),
        (1, "por", "remote", None, [1], True),
    ])
    assert look(1, "spa", monday) is None
    assert look(1, "spa", monday + dt.timedelta(days=7)) == domain.IN_PERSON
    assert look(1, "por", monday) is None
    assert look(1, "por", monday + dt.timedelta(days=1)) == domain.REMOTE
    assert look(1, "eng", monday) == domain.NONE
