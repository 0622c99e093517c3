"""Time zones of ports and courts, and the one place services read the time from.

Ports and courts keep their own zones; everything is stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

TIJUANA = ZoneInfo("America/Tijuana")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


def now() -> dt.datetime:
    return timezone.now()


def local_date(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()
