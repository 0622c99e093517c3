"""django.middleware.csrf.get_token, with a cheaper mask, for pages served on every request.

Django masks the CSRF secret (BREACH protection: a different token in every response) with
32 characters drawn by secrets.choice, one read of the OS's random source per character:
about 90 µs per token here, more than rendering the whole /status page. `get_token` below
draws the 32 mask characters from one read of secrets.token_bytes (rejection sampling keeps
every character uniform over the 62 allowed) and applies Django's cipher; the token has
the same alphabet, length and mask+cipher layout, and CsrfViewMiddleware checks it like any
other. The side effects on request.META (renew the cookie; create the secret if there is
none) are Django's own.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_N = len(_CHARS)  # 62
_INDEX = {c: i for i, c in enumerate(_CHARS)}
_UNBIASED = 256 - 256 % _N  # bytes below this map uniformly onto the alphabet


def _random_indices(count: int) -> list[int]:
    out: list[int] = []
    while len(out) < count:
        out += [b % _N for b in secrets.token_bytes(count + 8) if b < _UNBIASED]
    return out[:count]


def mask_secret(secret: str) -> str:
    """Django's _mask_cipher_secret: a fresh random mask, then the secret shifted by it."""
    mask = _random_indices(len(secret))
    cipher = "".join(_CHARS[(_INDEX[c] + m) % _N] for c, m in zip(secret, mask, strict=True))
    return "".join(_CHARS[m] for m in mask) + cipher


def get_token(request: HttpRequest) -> str:
    """The CSRF token for a form, as django.middleware.csrf.get_token."""
    if "CSRF_COOKIE" not in request.META:
        return csrf.get_token(request)  # a new visitor: Django creates the secret
    # As Django: the cookie is used, so send it again (renews its expiry).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return mask_secret(request.META["CSRF_COOKIE"])
