"""JSON API for waitlist (mounted at /api/v1/waitlist/): parse, call one service, return.

Public (no auth): board, estimate, position (number + PIN), proofs. Staff: register,
capacity, call, presence, removal, draw. Errors are {"code", "message", "field"}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from garita.core.errors import DomainError
from garita.waitlist import log as wlog
from garita.waitlist import merkle, selectors, services
from garita.waitlist.services import MemberIn

router = Router()


class MemberSchema(Schema):
    given_names: str = Field(..., max_length=120)
    surnames: str = Field(..., max_length=120)
    nationality: str = Field(..., max_length=3)
    date_of_birth: dt.date | None = None
    languages: list[str] = []


class RegisterIn(Schema):
    members: list[MemberSchema]
    contact: str = Field("", max_length=120)
    # The contact is a phone that agrees to receive the number and PIN by SMS.
    sms_consent: bool = False
    allow_duplicate: bool = False


class CapacityIn(Schema):
    persons: int
    day: dt.date | None = None


class CallIn(Schema):
    capacity: int | None = None


class RemoveIn(Schema):
    reason: str
    note: str = Field("", max_length=200)


class PositionIn(Schema):
    number: int
    pin: str = Field(..., max_length=12)


class SettingsIn(Schema):
    is_open: bool | None = None
    policy: str | None = None
    grace_minutes: int | None = None


class DrawCommitIn(Schema):
    closes_at: dt.datetime


def _proof_error(exc: merkle.ProofError) -> DomainError:
    return DomainError("waitlist.bad_proof_request", str(exc))


@router.get("/{port}/board", auth=None)
def board(request: HttpRequest, port: str) -> dict[str, Any]:
    return selectors.board(port)


@router.get("/{port}/numbers/{number}", auth=None)
def estimate(request: HttpRequest, port: str, number: int) -> dict[str, Any]:
    return selectors.estimate(port, number)


@router.post("/{port}/position", auth=None)
def position(request: HttpRequest, port: str, payload: PositionIn) -> dict[str, Any]:
    services.check_pin(port=port, number=payload.number, pin=payload.pin,
                       client=request.META.get("REMOTE_ADDR", ""))
    return selectors.estimate(port, payload.number)


@router.get("/{port}/history", auth=None)
def history(request: HttpRequest, port: str, days: int = 30) -> list[dict[str, Any]]:
    if not 1 <= days <= 730:
        raise DomainError("waitlist.bad_days", "days must be between 1 and 730", field="days")
    return [{**d.__dict__, "date": d.date.isoformat()} for d in selectors.daily_history(port, days)]


@router.get("/{port}/log/proof", auth=None)
def proof(request: HttpRequest, port: str, index: int, size: int | None = None) -> dict[str, Any]:
    wl = selectors.waitlist_for_read(port)
    try:
        return wlog.inclusion(wl, index, size)
    except merkle.ProofError as exc:
        raise _proof_error(exc) from None


@router.get("/{port}/log/consistency", auth=None)
def consistency(request: HttpRequest, port: str, old: int,
                new: int | None = None) -> dict[str, Any]:
    wl = selectors.waitlist_for_read(port)
    try:
        return wlog.consistency(wl, old, new)
    except merkle.ProofError as exc:
        raise _proof_error(exc) from None


@router.post("/{port}/groups", response={201: dict})
def register(request: HttpRequest, port: str, payload: RegisterIn) -> Status:
    reg = services.register_group(
        actor=request.user, port=port, contact=payload.contact,
        sms_consent=payload.sms_consent, allow_duplicate=payload.allow_duplicate,
        members=[MemberIn(m.given_names, m.surnames, m.nationality, m.date_of_birth,
                          tuple(m.languages)) for m in payload.members])
    return Status(201, {"number": reg.group.number, "size": reg.group.size, "pin": reg.pin,
                 "receipt": reg.receipt, "commitment": reg.group.commitment,
                 "possible_duplicate_of": reg.group.possible_duplicate_of.number
                 if reg.group.possible_duplicate_of else None})


@router.post("/{port}/capacity")
def capacity(request: HttpRequest, port: str, payload: CapacityIn) -> dict[str, Any]:
    row = services.set_capacity(actor=request.user, port=port, persons=payload.persons,
                                day=payload.day)
    return {"day": row.day.isoformat(), "persons": row.persons}


@router.post("/{port}/settings")
def settings_(request: HttpRequest, port: str, payload: SettingsIn) -> dict[str, Any]:
    wl = services.set_settings(actor=request.user, port=port, is_open=payload.is_open,
                               policy=payload.policy, grace_minutes=payload.grace_minutes)
    return {"is_open": wl.is_open, "policy": wl.policy, "grace_minutes": wl.grace_minutes}


@router.post("/{port}/call")
def call(request: HttpRequest, port: str, payload: CallIn) -> dict[str, Any]:
    c = services.call_next(actor=request.user, port=port, capacity=payload.capacity)
    return {"id": c.pk, "policy": c.policy, "capacity": c.capacity, "persons": c.persons,
            "numbers": list(c.groups.order_by("number").values_list("number", flat=True))}


@router.post("/{port}/groups/{number}/present")
def present(request: HttpRequest, port: str, number: int) -> dict[str, Any]:
    g = services.mark_present(actor=request.user, port=port, number=number)
    return {"number": g.number, "status": g.status}


@router.post("/{port}/groups/{number}/no-show")
def no_show(request: HttpRequest, port: str, number: int) -> dict[str, Any]:
    g = services.mark_no_show(actor=request.user, port=port, number=number)
    return {"number": g.number, "status": g.status, "no_shows": g.no_shows}


@router.post("/{port}/groups/{number}/remove")
def remove(request: HttpRequest, port: str, number: int, payload: RemoveIn) -> dict[str, Any]:
    g = services.remove_group(actor=request.user, port=port, number=number,
                              reason=payload.reason, note=payload.note)
    return {"number": g.number, "status": g.status}


@router.post("/{port}/draw/commit")
def draw_commit(request: HttpRequest, port: str, payload: DrawCommitIn) -> dict[str, Any]:
    rnd = services.draw_commit(actor=request.user, port=port, closes_at=payload.closes_at)
    return {"day": rnd.day.isoformat(), "seed_hash": rnd.seed_hash,
            "closes_at": rnd.closes_at.isoformat()}


@router.post("/{port}/draw/request", auth=None)
def draw_request(request: HttpRequest, port: str, payload: PositionIn) -> dict[str, Any]:
    req = services.draw_request(port=port, number=payload.number, pin=payload.pin,
                                client=request.META.get("REMOTE_ADDR", ""))
    return {"number": payload.number, "day": req.round.day.isoformat()}


@router.post("/{port}/draw/reveal")
def draw_reveal(request: HttpRequest, port: str) -> dict[str, Any]:
    rnd = services.draw_reveal(actor=request.user, port=port)
    return {"day": rnd.day.isoformat(), "seed": rnd.seed_hex, "seed_hash": rnd.seed_hash}
