"""Hearing times must carry the court's own UTC offset: a parser property test."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.core.errors import DomainError
from garita.hearings.services import parse_hearing_time

ZONES = ["America/Los_Angeles", "America/Denver", "America/Chicago", "America/Tijuana"]


@given(st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2030, 12, 31)),
       st.sampled_from(ZONES))
def test_a_time_written_in_the_courts_zone_is_accepted_as_the_same_instant(naive, tz):
    local = naive.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz))
    parsed = parse_hearing_time(local.isoformat(), tz)
    assert parsed == local


@given(st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2030, 12, 31)),
       st.sampled_from(ZONES), st.integers(-12, 14))
def test_any_other_offset_is_refused_as_the_wrong_time_zone(naive, tz, hours):
    offset = dt.timedelta(hours=hours)
    value = naive.replace(tzinfo=dt.timezone(offset))
    if value.astimezone(ZoneInfo(tz)).utcoffset() == offset:
        return
    with pytest.raises(DomainError) as err:
        parse_hearing_time(value.isoformat(), tz)
    assert err.value.code == "hearing.wrong_timezone"


@pytest.mark.parametrize("text,code", [("2019-07-01T08:30:00", "hearing.naive_time"),
                                       ("next tuesday", "hearing.bad_time"),
                                       ("", "hearing.bad_time")])
def test_times_without_offset_or_not_iso_are_refused(text, code):
    with pytest.raises(DomainError) as err:
        parse_hearing_time(text, "America/Los_Angeles")
    assert err.value.code == code
