"""JSON API for hotline (mounted at /api/v1/hotline/): the public status look-up.

Public (no login) and throttled like the phone line: failures count per IP and per
A-number in the database, with a lock-out. Errors: `hotline.lookup_failed` (404, the same
for an unknown A-number and a wrong PIN), `hotline.locked` (429), `anumber.invalid` and
`pin.invalid` (400).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from garita.core.errors import DomainError
from garita.hotline import render as words
from garita.hotline import services
from garita.hotline.services import Outcome
from garita.hotline.views import client_ip, map_link

router = Router()


class LookupIn(Schema):
    a_number: str = Field(max_length=40)
    pin: str = Field(max_length=40)
    language: str = Field(default="es", pattern="^(en|es|pt|ht)$")


@router.post("/lookup", auth=None, summary="Case status by A-number and PIN (no names)")
def lookup(request: HttpRequest, payload: LookupIn) -> dict[str, Any]:
    result = services.lookup(a_number=payload.a_number, pin=payload.pin, channel="api",
                             ip=client_ip(request))
    with translation.override(payload.language):
        if result.outcome == Outcome.LOCKED:
            raise DomainError("hotline.locked", _("There have been too many attempts. Please "
                                                  "try again later."), status=429)
        if result.outcome == Outcome.BAD_ANUMBER:
            raise DomainError("anumber.invalid",
                              _("An A-number has 8 or 9 digits, for example A234567890."),
                              field="a_number")
        if result.outcome == Outcome.BAD_PIN:
            raise DomainError("pin.invalid", _("The PIN has 6 digits. It is printed on your "
                                               "notice."), field="pin")
        if result.outcome != Outcome.FOUND or result.snapshot is None:
            raise DomainError("hotline.lookup_failed",
                              _("We could not find a case with that A-number and PIN."),
                              status=404)
    snap = result.snapshot
    texts = words.lines(list(result.statements), payload.language)
    h = snap.next_hearing
    return {
        "case": words.mask_anumber(result.a_number),
        "statements": [{"key": s.key, "text": t} for s, t in zip(result.statements, texts,
                                                                  strict=False)],
        "next_hearing": None if h is None else {
            "starts_at": h.starts_at.isoformat(), "timezone": h.timezone,
            "court": h.court_name, "place": h.place_name, "address": h.place_address,
            "map_url": map_link(h.place_address, h.map_url),
            "report_at": h.report_at.isoformat() if h.report_at else None,
            "report_port": h.report_port_name or None,
            "report_address": h.report_port_address or None,
        },
        "legal_service_providers": [
            {"name": p.name, "phone": p.phone, "address": p.address}
            for p in snap.legal_providers
        ],
    }
