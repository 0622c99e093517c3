"""`{% load garita_time %}` … `{{ value|at_zone:port.timezone|date:"Y-m-d H:i T" }}`."""

from __future__ import annotations

import datetime as dt

from django import template

from garita.core import localtime

register = template.Library()


@register.filter(expects_localtime=False)
def at_zone(value: object, tz: dt.tzinfo | str | None) -> object:
    """The datetime at `tz`'s clock (a zone name such as a port's `timezone`), not the
    site's; anything that is not a datetime (None, "") is returned as it is."""
    if not isinstance(value, dt.datetime):
        return value
    return localtime.at_zone(value, tz)
