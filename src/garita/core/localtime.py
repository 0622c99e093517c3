"""Times shown where they happen.

The template engine shows an aware datetime in the current time zone (TIME_ZONE,
America/Tijuana) before formatting it, so a Laredo time (Central) would print at Tijuana's
clock. `at_zone` gives the same instant at the named zone's clock through Django's own
`timezone` filter (`django.templatetags.tz.do_timezone`), whose result the engine shows as
it is; the date filter's "T" then prints that zone's abbreviation (CST, MST, PDT). Unlike
that filter, a naive value is taken as UTC (as stored times are) and an unknown or missing
zone name gives UTC, never an empty string.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.templatetags.tz import do_timezone


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
    shown: dt.datetime = do_timezone(value, zone_or_utc(tz))
    return shown
