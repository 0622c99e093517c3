"""Hotline writes: a throttled case look-up (audited), reminder subscription, opt-out.

A failed look-up gives one answer whether or not the A-number exists: the PIN digest is
computed either way and failures are counted per caller, IP and A-number. Every success is
an audit event (never with the PIN), written without the audit chain lock and sealed into
the chain later (garita.audit.services.record_unsealed); a lock-out is an audit event too.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from garita.audit.services import record, record_unsealed
from garita.core.errors import DomainError
from garita.hotline import domain
from garita.hotline.domain import CaseSnapshot, Statement, ThrottlePolicy, ThrottleState
from garita.hotline.models import LookupThrottle, ThrottleScope
from garita.hotline.selectors import read_for_lookup, snapshot_from_read
from garita.intake.anumber import parse_anumber
from garita.intake.models import Case, ContactKind, ContactPoint
from garita.intake.pins import PIN_LENGTH, pin_digest, pin_matches


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
    return ThrottlePolicy(
        max_failures=settings.GARITA_HOTLINE_MAX_FAILURES,
        window=dt.timedelta(minutes=settings.GARITA_HOTLINE_FAILURE_WINDOW_MINUTES),
        lockout=dt.timedelta(minutes=settings.GARITA_HOTLINE_LOCKOUT_MINUTES),
    )


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


def _throttle_rows(keys: list[tuple[str, str]]) -> list[tuple[str, int, dt.datetime | None]]:
    """(scope, failures, locked_until) of the keys that have a row: one query."""
    if not keys:
        return []
    from django.db.models import Q

    q = Q()
    for scope, digest in keys:
        q |= Q(scope=scope, key_digest=digest)
    return list(LookupThrottle.objects.filter(q).values_list("scope", "failures", "locked_until"))


@transaction.atomic
def _count_failure(keys: list[tuple[str, str]], *, channel: str, now: dt.datetime) -> bool:
    """Add one failure to each key; True if any of them is now locked out."""
    locked_any = False
    pol = policy()
    for scope, digest in keys:
        try:
            with transaction.atomic():
                row, _ = LookupThrottle.objects.select_for_update().get_or_create(
                    scope=scope, key_digest=digest)
        except IntegrityError:  # two servers created it at once: read the winner's row
            row = LookupThrottle.objects.select_for_update().get(scope=scope, key_digest=digest)
        state, locks = domain.after_failure(
            ThrottleState(row.failures, row.window_started_at, row.locked_until), now, pol)
        row.failures, row.window_started_at = state.failures, state.window_started_at
        row.locked_until = state.locked_until
        row.save(update_fields=["failures", "window_started_at", "locked_until", "updated_at"])
        if locks:
            locked_any = True
            record(actor=f"hotline:{channel}", action="hotline.lockout",
                   object_type="hotline.lookupthrottle", object_id=row.pk,
                   new={"scope": scope, "locked_until": state.locked_until,
                        "failures": state.failures})
    return locked_any


# A digest that matches no PIN, so a look-up of an unknown A-number costs the same HMAC.
_NO_CASE_DIGEST = "0" * 64


def lookup(*, a_number: object, pin: object, channel: str, caller: str = "", ip: str = "",
           now: dt.datetime | None = None) -> LookupResult:
    """Check an A-number and PIN; on success return what may be told about the case."""
    now = now or timezone.now()
    try:
        canonical = parse_anumber(a_number if isinstance(a_number, str) else "")
    except DomainError:
        canonical = ""
    keys = _keys(caller=caller, ip=ip, a_number=canonical)
    pin_ok = domain.valid_pin(pin, PIN_LENGTH) is not None
    if not canonical or not pin_ok:
        rows = _throttle_rows(keys)
        if any(until is not None and until > now for _s, _f, until in rows):
            return LookupResult(Outcome.LOCKED)
    if not canonical:
        locked = _count_failure(keys, channel=channel, now=now)
        return LookupResult(Outcome.LOCKED if locked else Outcome.BAD_ANUMBER)
    pin_text = domain.valid_pin(pin, PIN_LENGTH)
    if pin_text is None:
        locked = _count_failure(keys, channel=channel, now=now)
        return LookupResult(Outcome.LOCKED if locked else Outcome.BAD_PIN)
    # One query: the case, its hearings and the throttle state of every key.
    read = read_for_lookup(a_number=canonical, keys=keys)
    if read.locked_until is not None and read.locked_until > now:
        return LookupResult(Outcome.LOCKED)
    case = read.case
    digest = (case["lookup_pin_digest"] if case is not None else "") or _NO_CASE_DIGEST
    ok = pin_matches(canonical, pin_text, digest) and case is not None
    if not ok:
        if case is None:  # equalise the work with the wrong-PIN path
            pin_digest(canonical, pin_text)
        locked = _count_failure(keys, channel=channel, now=now)
        return LookupResult(Outcome.LOCKED if locked else Outcome.FAILED)
    assert case is not None
    snap = snapshot_from_read(read, now=now)
    stmts = domain.statements(snap, now=now, stale_after=stale_after())
    _record_success(case["id"], channel=channel, keys=keys if read.anumber_failures else [])
    return LookupResult(Outcome.FOUND, case["id"], canonical, snap, tuple(stmts))


def _record_success(case_id: int, *, channel: str, keys: list[tuple[str, str]]) -> None:
    """The audit event of a successful look-up, durable before the answer is sent.

    A look-up is a read: it goes to the audit log without the chain lock
    (`record_unsealed`, one INSERT committed at once) and is chained by `audit.seal()`.
    """
    if not keys:  # the usual case: one INSERT, committed on its own
        record_unsealed(actor=f"hotline:{channel}", action="hotline.lookup",
                        object_type="intake.case", object_id=case_id, new={"channel": channel})
        return
    with transaction.atomic():
        # The A-number's own counter is cleared (the person mistyped); the caller's and
        # the IP's are not, so one valid pair cannot be used to reset a guessing run.
        for scope, digest in keys:
            if scope == ThrottleScope.ANUMBER:
                LookupThrottle.objects.filter(scope=scope, key_digest=digest,
                                              failures__gt=0).update(
                    failures=0, window_started_at=None)
        record_unsealed(actor=f"hotline:{channel}", action="hotline.lookup",
                        object_type="intake.case", object_id=case_id, new={"channel": channel})


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
