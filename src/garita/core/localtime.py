"""Times shown where they happen.

The template engine shows an aware datetime in the current time zone (TIME_ZONE,
America/Tijuana) before formatting it, so a Laredo time (Central) would print at Tijuana's
clock. `at_zone` gives the same instant at the named zone's clock, marked so the engine
shows it as it is (as the `tz` library's `timezone` filter's results are); the date
filter's "T" then prints that zone's abbreviation (CST, MST, PDT).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


class ShownTime(dt.datetime):
    # Read by django.template.base.render_value_in_context and the date filter.
    convert_to_local_time = False


def zone_or_utc(tz: dt.tzinfo | str | None) -> dt.tzinfo:
    if isinstance(tz, dt.tzinfo):
        return tz
    try:
        return zoneinfo.ZoneInfo(tz) if tz else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def at_zone(value: dt.datetime, tz: dt.tzinfo | str | None) -> dt.datetime:
    """`value` at `tz`'s clock (a zone or its name; UTC if none), shown by templates as it
    is. A naive value is taken as UTC, as stored times are."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    v = value.astimezone(zone_or_utc(tz))
    return ShownTime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                     v.tzinfo, fold=v.fold)
