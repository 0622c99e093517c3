"""Alien registration numbers: parse any common spelling into one canonical form.

Canonical form is `A` + 9 digits; an old 8-digit number gets a leading zero. Anything
else raises DomainError("anumber.invalid"). Pure: no database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from garita.core.errors import DomainError

_SEPARATORS = re.compile(r"[\s\-\.]+")


def parse_anumber(raw: object, *, field: str = "a_number") -> str:
    if not isinstance(raw, str):
        raise DomainError("anumber.invalid", _("An A-number must be text."), field=field)
    text = _SEPARATORS.sub("", raw.strip())
    if text[:1] in {"A", "a"}:
        text = text[1:]
    text = _SEPARATORS.sub("", text)
    if not text.isascii() or not text.isdigit() or len(text) not in (8, 9):
        raise DomainError(
            "anumber.invalid",
            _("An A-number has 8 or 9 digits, for example A234567890."),
            field=field,
        )
    digits = text.zfill(9)
    if digits == "000000000":
        raise DomainError("anumber.invalid", _("An A-number cannot be all zeros."), field=field)
    return "A" + digits


def format_anumber(canonical: str) -> str:
    """Human display: A234-567-890."""
    d = canonical[1:]
    return f"A{d[0:3]}-{d[3:6]}-{d[6:9]}"
