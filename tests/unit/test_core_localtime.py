"""The at_zone filter: a time at the named zone's clock, not converted to TIME_ZONE."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template


def render(value: object, tz: str) -> str:
    return Template('{% load garita_time %}{{ v|at_zone:tz|date:"Y-m-d H:i T" }}').render(
        Context({"v": value, "tz": tz}))


def test_a_time_is_shown_at_the_named_zones_clock_with_its_abbreviation() -> None:
    at = dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)
    assert render(at, "America/Chicago") == "2026-11-20 14:30 CST"
    assert render(at, "America/Denver") == "2026-11-20 13:30 MST"
    assert render(at, "America/Tijuana") == "2026-11-20 12:30 PST"


def test_no_time_stays_empty_and_an_unknown_zone_is_utc() -> None:
    assert render(None, "America/Chicago") == ""
    assert render(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC), "Nowhere/Else") \
        == "2026-07-01 12:00 UTC"
