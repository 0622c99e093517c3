"""Hotline writes: a throttled case look-up (audited), reminder subscription, opt-out.

A failed look-up gives one answer whether or not the A-number exists: the PIN digest is
computed either way and failures are counted per caller, IP and A-number, each attempt
before its PIN is compared (garita.hotline.throttle). Every success is an audit event
(never with the PIN), written without the audit chain lock and sealed into the chain later
(garita.audit.services.unsealed_insert); a lock-out is an audit event too.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from garita.audit.services import record, unsealed_insert
from garita.core.errors import DomainError
from garita.hotline import domain, throttle
from garita.hotline.domain import CaseSnapshot, Statement, ThrottlePolicy
from garita.hotline.models import ThrottleScope
from garita.hotline.selectors import read_for_lookup, snapshot_from_read
from garita.intake.anumber import parse_anumber
from garita.intake.models import Case, ContactKind, ContactPoint
from garita.intake.pins import PIN_LENGTH, pin_matches


class Outcome(enum.StrEnum):
    FOUND = "found"
    FAILED = "failed"  # the same for an unknown A-number and a wrong PIN
    LOCKED = "locked"
    BAD_ANUMBER = "bad_anumber"  # not an A-number at all (counted as a failure)
    BAD_PIN = "bad_pin"  # not six digits (counted as a failure)


@dataclass(frozen=True)
class LookupResult:
    outcome: Outcome
    case_id: int | None = None
    a_number: str = ""
    snapshot: CaseSnapshot | None = None
    statements: tuple[Statement, ...] = ()


def policy() -> ThrottlePolicy:
    return _policy(settings.GARITA_HOTLINE_MAX_FAILURES,
                   settings.GARITA_HOTLINE_FAILURE_WINDOW_MINUTES,
                   settings.GARITA_HOTLINE_LOCKOUT_MINUTES)


@functools.lru_cache(maxsize=8)  # read on every look-up; the settings rarely change
def _policy(max_failures: int, window_minutes: int, lockout_minutes: int) -> ThrottlePolicy:
    return ThrottlePolicy(max_failures=max_failures,
                          window=dt.timedelta(minutes=window_minutes),
                          lockout=dt.timedelta(minutes=lockout_minutes))


def stale_after() -> dt.timedelta:
    return dt.timedelta(days=settings.GARITA_HOTLINE_STALE_AFTER_DAYS)


def _key(scope: str, value: str) -> str:
    secret = ("garita-throttle:" + settings.SECRET_KEY).encode()
    return hmac.new(secret, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()


def _keys(*, caller: str, ip: str, a_number: str) -> list[tuple[str, str]]:
    out = []
    if caller:
        out.append((ThrottleScope.CALLER.value, _key("caller", caller)))
    if ip:
        out.append((ThrottleScope.IP.value, _key("ip", ip)))
    if a_number:
        out.append((ThrottleScope.ANUMBER.value, _key("anumber", a_number)))
    return out


def _record_lockouts(reg: throttle.Registration, *, channel: str) -> None:
    """The audit event of each lock-out this (failed) attempt started: once per lock-out."""
    with transaction.atomic():
        for c in reg.lockouts:
            record(actor=f"hotline:{channel}", action="hotline.lockout",
                   object_type="hotline.lookupthrottle", object_id=c.row_id,
                   new={"scope": c.scope, "locked_until": c.locked_until,
                        "failures": c.failures})


def _failed(reg: throttle.Registration, outcome: Outcome, *, channel: str) -> LookupResult:
    """A failure, counted when it was registered; the one that starts a lock-out is
    answered as locked (as every attempt after it)."""
    if reg.lockouts:
        _record_lockouts(reg, channel=channel)
        return LookupResult(Outcome.LOCKED)
    return LookupResult(outcome)


# A digest that matches no PIN, so a look-up of an unknown A-number costs the same HMAC.
_NO_CASE_DIGEST = "0" * 64


def lookup(*, a_number: object, pin: object, channel: str, caller: str = "", ip: str = "",
           now: dt.datetime | None = None) -> LookupResult:
    """Check an A-number and PIN; on success return what may be told about the case.

    Every attempt is registered on its keys (caller, IP, A-number) and committed before
    the PIN is compared, and let through only if no key was locked (garita.hotline.throttle):
    look-ups processed at the same moment cannot get more PIN comparisons than the limit.
    A malformed A-number or PIN counts as a failure. Call it outside any transaction, or
    the registration is not committed before the PIN is compared.
    """
    now = now or timezone.now()
    try:
        canonical = parse_anumber(a_number if isinstance(a_number, str) else "")
    except DomainError:
        canonical = ""
    keys = _keys(caller=caller, ip=ip, a_number=canonical)
    pin_text = domain.valid_pin(pin, PIN_LENGTH)
    pol = policy()
    if not canonical or pin_text is None:
        reg = throttle.register(keys, now=now, policy=pol)
        if not reg.admitted:
            throttle.give_back(reg, success=False)
            return LookupResult(Outcome.LOCKED)
        return _failed(reg, Outcome.BAD_ANUMBER if not canonical else Outcome.BAD_PIN,
                       channel=channel)
    # One statement on PostgreSQL: the registration, then the case and its hearings.
    read = read_for_lookup(a_number=canonical, keys=keys, now=now, policy=pol)
    reg = read.registration
    if not reg.admitted:  # a key is locked: the PIN is not looked at
        throttle.give_back(reg, success=False)
        return LookupResult(Outcome.LOCKED)
    case = read.case
    digest = (case["lookup_pin_digest"] if case is not None else "") or _NO_CASE_DIGEST
    # One HMAC either way (pin_matches computes it for the no-case digest too).
    if not (pin_matches(canonical, pin_text, digest) and case is not None):
        return _failed(reg, Outcome.FAILED, channel=channel)
    snap = snapshot_from_read(read, now=now)
    stmts = domain.statements(snap, now=now, stale_after=stale_after())
    _record_success(case["id"], channel=channel, reg=reg)
    return LookupResult(Outcome.FOUND, case["id"], canonical, snap, tuple(stmts))


def _record_success(case_id: int, *, channel: str, reg: throttle.Registration) -> None:
    """The audit event of a successful look-up, durable before the answer is sent, and
    the attempt's registration given back (the A-number's count cleared, the caller's and
    the IP's minus this attempt).

    A look-up is a read: it goes to the audit log without the chain lock
    (`unsealed_insert`, sealed into the chain later by `audit.seal()`). On PostgreSQL the
    give-back and the INSERT are one statement, committed at once.
    """
    throttle.give_back(reg, success=True, then=unsealed_insert(
        actor=f"hotline:{channel}", action="hotline.lookup", object_type="intake.case",
        object_id=case_id, new={"channel": channel}))


def prune_throttles(*, now: dt.datetime | None = None) -> int:
    """Delete the look-up throttle rows that count nothing any more (run by `garita
    worker` once a minute); returns how many."""
    return throttle.prune(now=now or timezone.now(), policy=policy())


def reread(case_id: int, *, now: dt.datetime | None = None) -> LookupResult:
    """The statements again for a caller who already passed the PIN (the IVR's repeat)."""
    now = now or timezone.now()
    read = read_for_lookup(case_id=case_id)
    if read.case is None:
        return LookupResult(Outcome.FAILED)
    snap = snapshot_from_read(read, now=now)
    stmts = domain.statements(snap, now=now, stale_after=stale_after())
    return LookupResult(Outcome.FOUND, read.case["id"], read.case["a_number"], snap,
                        tuple(stmts))


def normalise_phone(raw: str) -> str:
    """Twilio's From: '+5266...' or 'whatsapp:+5266...' -> '+5266...'."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    return text[:32]


@transaction.atomic
def subscribe(*, case_id: int, phone: str, channel: str = "sms") -> ContactPoint:
    """Add this phone to the case for reminders (after a successful look-up)."""
    case = Case.objects.select_for_update().get(pk=case_id)
    kind = ContactKind.WHATSAPP if channel == "whatsapp" else ContactKind.PHONE
    cp = ContactPoint.objects.filter(case=case, kind=kind, value=phone).first()
    if cp is None:
        cp = ContactPoint.objects.create(case=case, kind=kind, value=phone, consent_sms=True,
                                         consent_voice=False)
    else:
        ContactPoint.objects.filter(pk=cp.pk).update(consent_sms=True, opted_out_at=None)
    from garita.notifications.services import record_opt_in

    record_opt_in(address=phone, source=f"hotline:{channel}")
    record(actor=f"hotline:{channel}", action="hotline.subscribe", obj=case,
           new={"contact_point": cp.pk})
    return cp
