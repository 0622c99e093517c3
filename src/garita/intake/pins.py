"""Look-up PINs printed on the NTA and tear sheet, for phone and web status checks.

Six digits. Only an HMAC of (A-number, PIN) keyed with the server secret is stored, so a
copy of the database alone does not reveal PINs, and checking one is fast enough for the
hotline. Pure apart from reading SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets

from django.conf import settings

PIN_LENGTH = 6


def new_pin(rng: random.Random | None = None) -> str:
    if rng is not None:  # deterministic demo data only
        return f"{rng.randrange(10**PIN_LENGTH):0{PIN_LENGTH}d}"
    return f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"


def pin_digest(a_number: str, pin: str) -> str:
    key = ("garita-pin:" + settings.SECRET_KEY).encode()
    return hmac.new(key, f"{a_number}:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(a_number: str, pin: str, digest: str) -> bool:
    if not digest:
        return False
    return hmac.compare_digest(pin_digest(a_number, pin), digest)
