"""Writes on the waitlist: register, capacity, call, presence, removal, draw, PIN checks.

Every write locks the port's Waitlist row (SELECT ... FOR UPDATE), checks permission,
changes the rows, appends its log entries and an audit event in ONE transaction, so two
officers never call the same number twice and a crash leaves all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    PositiveIntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.core.errors import Conflict, DomainError, NotFound
from garita.core.models import Port
from garita.intake.domain import clean_phone
from garita.intake.pins import new_pin, pin_digest, pin_matches
from garita.waitlist import domain
from garita.waitlist import log as wlog
from garita.waitlist.domain import Event, Policy
from garita.waitlist.models import (
    Call,
    DayCapacity,
    DrawRequest,
    DrawRound,
    Group,
    GroupMember,
    GroupStatus,
    PinCounter,
    Waitlist,
)
from garita.waitlist.selectors import waitlist_for_read

REMOVAL_REASONS = {
    "withdrew": _("The group withdrew"),
    "processed": _("Processed another way"),
    "duplicate": _("Duplicate registration"),
    "no_show": _("Did not present twice"),
    "other": _("Other reason (see note)"),
}
# Wrong PINs (see check_pin): per (number, client), per client, and per number.
PIN_MAX_FAILURES = 5
PIN_WINDOW_SECONDS = 15 * 60
PIN_CLIENT_MAX_FAILURES = 20
PIN_SLOWDOWN_AFTER = 10
PIN_SLOWDOWN_WINDOW_SECONDS = 24 * 3600
PIN_SLOWDOWN_MAX_SECONDS = 300


def port_waitlist(port: str | Port) -> Waitlist:
    """The port's waitlist (created on first use); unknown port -> waitlist.unknown_port."""
    slug = port.slug if isinstance(port, Port) else port
    try:
        port_obj = port if isinstance(port, Port) else Port.objects.get(slug=slug)
    except Port.DoesNotExist:
        raise NotFound("waitlist.unknown_port", _("There is no port with that name.")) from None
    wl = Waitlist.objects.select_related("port").filter(port=port_obj).first()
    if wl is None:
        wl, _created = Waitlist.objects.get_or_create(port=port_obj)
    return wl


def _locked(port: str | Port) -> Waitlist:
    wl = port_waitlist(port)
    return Waitlist.objects.select_for_update().select_related("port").get(pk=wl.pk)


def _group(wl: Waitlist, number: int, *, lock: bool = True) -> Group:
    qs = Group.objects.filter(waitlist=wl, number=number)
    if lock:
        qs = qs.select_for_update()
    g = qs.first()
    if g is None:
        raise NotFound("waitlist.unknown_number", _("There is no group with that number."))
    return g


def _today(wl: Waitlist, at: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(wl.port.timezone)).date()


@dataclass(frozen=True)
class MemberIn:
    given_names: str
    surnames: str
    nationality: str
    date_of_birth: dt.date | None = None
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registration:
    group: Group
    pin: str
    receipt: str  # the salt: with the names it proves the log entry is this group's


def _find_duplicate(wl: Waitlist, members: list[MemberIn]) -> Group | None:
    q = Q()
    for m in members:
        cond = Q(given_names__iexact=m.given_names.strip(), surnames__iexact=m.surnames.strip())
        if m.date_of_birth:
            cond &= Q(date_of_birth=m.date_of_birth)
        q |= cond
    hit = (GroupMember.objects.filter(q, group__waitlist=wl,
                                      group__status__in=[GroupStatus.WAITING, GroupStatus.CALLED])
           .select_related("group").first())
    return hit.group if hit else None


@transaction.atomic
def register_group(*, actor: Any, port: str | Port, members: list[MemberIn], contact: str = "",
                   sms_consent: bool = False, allow_duplicate: bool = False,
                   at: dt.datetime | None = None) -> Registration:
    """Give a whole group the next number and a PIN (shown once on the slip and, when the
    contact is a phone that agreed to SMS, queued in the outbox to be sent by the worker)."""
    require(actor, Permission.WAITLIST_REGISTER)
    if sms_consent:
        # A phone that agreed to SMS must be a real number (stored as E.164 so that STOP
        # from that phone matches it).
        contact = clean_phone(contact, field="contact")
    if not domain.check_group_size(len(members)):
        raise DomainError("waitlist.bad_group_size",
                          _("A group has between 1 and 30 people."), field="members")
    for m in members:
        if not m.given_names.strip() or not m.surnames.strip():
            raise DomainError("waitlist.name_required", _("Every person needs a name."),
                              field="members")
        if len(m.nationality) != 3 or not m.nationality.isalpha():
            raise DomainError("waitlist.bad_nationality",
                              _("Nationality is a three-letter country code."), field="members")
    wl = _locked(port)
    if not wl.is_open:
        raise Conflict("waitlist.closed", _("This waitlist is closed."))
    dup = _find_duplicate(wl, members)
    if dup is not None and not allow_duplicate:
        raise Conflict("waitlist.possible_duplicate",
                       _("A person in this group may already be on the list. Staff must check "
                         "before registering again."),
                       details={"number": dup.number})
    at = at or timezone.now()
    number = wl.next_number
    pin = new_pin()
    salt = secrets.token_bytes(16)
    identity = domain.identity_text(
        [(m.given_names, m.surnames, m.date_of_birth.isoformat() if m.date_of_birth else "")
         for m in members])
    group = Group.objects.create(
        waitlist=wl, number=number, size=len(members), registered_at=at,
        pin_digest=pin_digest(f"{wl.port.slug}:{number}", pin), identity_salt=salt.hex(),
        commitment=domain.identity_commitment(salt, identity), contact=contact[:120],
        contact_sms_consent=sms_consent,
        possible_duplicate_of=dup, registered_by=actor if getattr(actor, "pk", None) else None,
    )
    GroupMember.objects.bulk_create([
        GroupMember(group=group, given_names=m.given_names.strip(), surnames=m.surnames.strip(),
                    date_of_birth=m.date_of_birth, nationality=m.nationality.upper(),
                    languages=list(m.languages)) for m in members])
    Waitlist.objects.filter(pk=wl.pk).update(next_number=number + 1)
    wlog.append(wl, [wlog.NewEvent(Event.REGISTERED, at, number, len(members),
                                   group.commitment)])
    sms_queued = _queue_registration_sms(wl, group, members, pin) if sms_consent else False
    audit.record(actor=actor, action="waitlist.register", obj=group,
                 new={"number": number, "size": len(members), "port": wl.port.slug,
                      "sms_queued": sms_queued})
    if dup is not None:
        audit.record(actor=actor, action="waitlist.possible_duplicate", obj=group,
                     new={"number": number, "possible_duplicate_of": dup.number})
    return Registration(group, pin, salt.hex())


def _queue_registration_sms(wl: Waitlist, group: Group, members: list[MemberIn],
                            pin: str) -> bool:
    """The slip by SMS, through the outbox (sent by the worker, never in this request)."""
    from django.conf import settings
    from django.urls import reverse

    from garita.notifications.messages import waitlist_registered_text
    from garita.notifications.services import queue_waitlist_registered, waitlist_language

    language = waitlist_language(m.languages for m in members)
    base = settings.GARITA_PUBLIC_BASE_URL
    url = f"{base}{reverse('waitlist:position', kwargs={'port': wl.port.slug})}" if base else ""
    texts = [waitlist_registered_text(language=language, port_name=wl.port.name,
                                      port_slug=wl.port.slug, number=group.number,
                                      size=group.size, pin=p, position_url=url)
             for p in (pin, "*" * len(pin))]
    return queue_waitlist_registered(group_id=group.pk, phone=group.contact, language=language,
                                     body=texts[0], masked_body=texts[1])


@transaction.atomic
def set_capacity(*, actor: Any, port: str | Port, persons: int, day: dt.date | None = None,
                 at: dt.datetime | None = None) -> DayCapacity:
    require(actor, Permission.WAITLIST_OPERATE)
    if persons < 0 or persons > 100_000:
        raise DomainError("waitlist.bad_capacity",
                          _("Capacity is a number of persons, zero or more."), field="persons")
    wl = _locked(port)
    at = at or timezone.now()
    day = day or _today(wl, at)
    row = DayCapacity.objects.filter(waitlist=wl, day=day).first()
    old = row.persons if row else None
    if row is None:
        row = DayCapacity.objects.create(waitlist=wl, day=day, persons=persons, set_at=at,
                                         set_by=actor if getattr(actor, "pk", None) else None)
    else:
        row.persons, row.set_at = persons, at
        row.save(update_fields=["persons", "set_at"])
    wlog.append(wl, [wlog.NewEvent(Event.CAPACITY_SET, at, None, persons, "",
                                   day.isoformat())])
    audit.record(actor=actor, action="waitlist.capacity_set", obj=row,
                 old={"persons": old}, new={"persons": persons, "day": day})
    return row


@transaction.atomic
def set_settings(*, actor: Any, port: str | Port, is_open: bool | None = None,
                 policy: str | None = None, grace_minutes: int | None = None) -> Waitlist:
    require(actor, Permission.WAITLIST_OPERATE)
    wl = _locked(port)
    old = {"is_open": wl.is_open, "policy": wl.policy, "grace_minutes": wl.grace_minutes}
    if policy is not None:
        try:
            wl.policy = Policy(policy)
        except ValueError:
            raise DomainError("waitlist.bad_policy", _("Unknown allocation policy."),
                              field="policy") from None
    if grace_minutes is not None:
        if not 1 <= grace_minutes <= 240:
            raise DomainError("waitlist.bad_grace", _("The grace period is 1 to 240 minutes."),
                              field="grace_minutes")
        wl.grace_minutes = grace_minutes
    if is_open is not None:
        wl.is_open = is_open
    wl.save(update_fields=["is_open", "policy", "grace_minutes"])
    audit.record(actor=actor, action="waitlist.settings", obj=wl, old=old,
                 new={"is_open": wl.is_open, "policy": wl.policy,
                      "grace_minutes": wl.grace_minutes})
    return wl


def _called_today(wl: Waitlist, day: dt.date) -> int:
    return sum(Call.objects.filter(waitlist=wl, day=day).values_list("persons", flat=True))


@transaction.atomic
def call_next(*, actor: Any, port: str | Port, capacity: int | None = None,
              at: dt.datetime | None = None) -> Call:
    """Call whole groups in order until `capacity` persons (default: what is left of the
    day's capacity). The policy in force is recorded on the call."""
    require(actor, Permission.WAITLIST_OPERATE)
    if capacity is not None and capacity < 0:
        raise DomainError("waitlist.bad_capacity",
                          _("Capacity is a number of persons, zero or more."), field="capacity")
    wl = _locked(port)
    if not wl.is_open:
        raise Conflict("waitlist.closed", _("This waitlist is closed."))
    at = at or timezone.now()
    day = _today(wl, at)
    if capacity is None:
        cap_row = DayCapacity.objects.filter(waitlist=wl, day=day).first()
        if cap_row is None:
            raise Conflict("waitlist.no_capacity", _("Set today's capacity before calling."))
        capacity = max(0, cap_row.persons - _called_today(wl, day))
    policy = Policy(wl.policy)
    waiting = Group.objects.filter(waitlist=wl, status=GroupStatus.WAITING)
    draw: DrawRound | None = None
    sizes: dict[int, tuple[int, str]] = {}
    if policy == Policy.DRAW:
        draw = DrawRound.objects.filter(waitlist=wl, day=day).first()
        if draw is None or not draw.revealed:
            raise Conflict("waitlist.draw_not_revealed",
                           _("Reveal today's draw seed before calling."))
        if draw.call_id:
            raise Conflict("waitlist.draw_used", _("Today's draw has already been called."))
        req_ids = DrawRequest.objects.filter(round=draw).values_list("group_id", flat=True)
        rows = list(waiting.filter(id__in=req_ids).order_by("number")
                    .values_list("id", "number", "size", "commitment"))
        by_number = {r[1]: r[0] for r in rows}
        sizes = {n: (sz, c) for _i, n, sz, c in rows}
        alloc = domain.allocate_draw([domain.QueuedGroup(n, s, c) for _i, n, s, c in rows],
                                     capacity, wl.draw_longest_share, bytes.fromhex(draw.seed_hex))
        chosen = [(by_number[n], n) for n in alloc.called]
    else:
        by_number = {}

        def queue():  # type: ignore[no-untyped-def]
            qs = waiting.order_by("priority", "number").values_list("id", "number", "size",
                                                                    "commitment")
            for gid, n, s, c in qs.iterator(chunk_size=max(500, min(capacity, 5000))):
                by_number[n] = gid
                sizes[n] = (s, c)
                yield domain.QueuedGroup(n, s, c)

        alloc = domain.allocate(policy, queue(), capacity)
        chosen = [(by_number[n], n) for n in alloc.called]
    call = Call.objects.create(waitlist=wl, day=day, at=at, policy=policy, capacity=capacity,
                               persons=alloc.persons, groups_count=len(chosen),
                               by=actor if getattr(actor, "pk", None) else None)
    ids = [gid for gid, _n in chosen]
    for i in range(0, len(ids), 500):
        Group.objects.filter(id__in=ids[i:i + 500], status=GroupStatus.WAITING).update(
            status=GroupStatus.CALLED, called_at=at, call=call)
    events = [wlog.NewEvent(Event.CALLED, at, n, sizes[n][0], sizes[n][1], str(policy))
              for _gid, n in chosen]
    if draw is not None:
        draw.call = call
        draw.save(update_fields=["call"])
    wlog.append(wl, events)
    audit.record(actor=actor, action="waitlist.call", obj=call,
                 new={"port": wl.port.slug, "policy": policy, "capacity": capacity,
                      "persons": alloc.persons, "numbers": list(alloc.called)})
    return call


@transaction.atomic
def mark_present(*, actor: Any, port: str | Port, number: int,
                 at: dt.datetime | None = None) -> Group:
    require(actor, Permission.WAITLIST_OPERATE)
    wl = _locked(port)
    g = _group(wl, number)
    if g.status != GroupStatus.CALLED:
        raise Conflict("waitlist.not_called", _("This group has not been called."))
    at = at or timezone.now()
    if g.called_at and at > domain.presence_deadline(g.called_at, wl.grace_minutes):
        raise Conflict("waitlist.grace_expired",
                       _("The grace period is over; record a no-show instead."))
    g.status, g.present_at = GroupStatus.PRESENT, at
    g.save(update_fields=["status", "present_at"])
    wlog.append(wl, [wlog.NewEvent(Event.PRESENT, at, g.number, g.size, g.commitment)])
    audit.record(actor=actor, action="waitlist.present", obj=g, new={"number": number})
    return g


@transaction.atomic
def mark_no_show(*, actor: Any, port: str | Port, number: int,
                 at: dt.datetime | None = None) -> Group:
    """After the grace period: back to the head of the next call once, then removed."""
    require(actor, Permission.WAITLIST_OPERATE)
    wl = _locked(port)
    g = _group(wl, number)
    if g.status != GroupStatus.CALLED:
        raise Conflict("waitlist.not_called", _("This group has not been called."))
    at = at or timezone.now()
    if g.called_at and at < domain.presence_deadline(g.called_at, wl.grace_minutes):
        raise Conflict("waitlist.grace_not_over",
                       _("The group still has time to present."))
    consequence = domain.after_no_show(g.no_shows)
    g.no_shows += 1
    events = [wlog.NewEvent(Event.NO_SHOW, at, g.number, g.size, g.commitment)]
    if consequence == "requeue":
        g.status, g.priority, g.call = GroupStatus.WAITING, 0, None
        events.append(wlog.NewEvent(Event.REQUEUED, at, g.number, g.size, g.commitment))
    else:
        g.status, g.removed_reason = GroupStatus.REMOVED, "no_show"
        events.append(wlog.NewEvent(Event.REMOVED, at, g.number, g.size, g.commitment,
                                    "after_call:no_show"))
    g.save(update_fields=["status", "priority", "call", "no_shows", "removed_reason"])
    wlog.append(wl, events)
    audit.record(actor=actor, action="waitlist.no_show", obj=g,
                 new={"number": number, "consequence": consequence})
    return g


@transaction.atomic
def remove_group(*, actor: Any, port: str | Port, number: int, reason: str, note: str = "",
                 at: dt.datetime | None = None) -> Group:
    require(actor, Permission.WAITLIST_OPERATE)
    if reason not in REMOVAL_REASONS:
        raise DomainError("waitlist.reason_required", _("Choose the reason for the removal."),
                          field="reason")
    if reason == "other" and not note.strip():
        raise DomainError("waitlist.reason_required", _("Explain the reason for the removal."),
                          field="note")
    wl = _locked(port)
    g = _group(wl, number)
    if g.status not in (GroupStatus.WAITING, GroupStatus.CALLED):
        raise Conflict("waitlist.not_waiting", _("This group is no longer on the list."))
    at = at or timezone.now()
    prefix = "after_call:" if g.status == GroupStatus.CALLED else ""
    g.status = GroupStatus.REMOVED
    g.removed_reason = f"{reason}: {note.strip()}"[:200] if note.strip() else reason
    g.save(update_fields=["status", "removed_reason"])
    wlog.append(wl, [wlog.NewEvent(Event.REMOVED, at, g.number, g.size, g.commitment,
                                   prefix + reason)])
    audit.record(actor=actor, action="waitlist.remove", obj=g,
                 new={"number": number, "reason": reason, "note": note})
    return g


# --- the CBP One-style draw ------------------------------------------------------------


@transaction.atomic
def draw_commit(*, actor: Any, port: str | Port, closes_at: dt.datetime,
                at: dt.datetime | None = None, seed: bytes | None = None) -> DrawRound:
    """Open a request window and publish SHA-256 of a fresh secret seed."""
    require(actor, Permission.WAITLIST_OPERATE)
    wl = _locked(port)
    at = at or timezone.now()
    if closes_at <= at:
        raise DomainError("waitlist.bad_window", _("The window must close in the future."),
                          field="closes_at")
    day = _today(wl, closes_at)
    if DrawRound.objects.filter(waitlist=wl, day=day).exists():
        raise Conflict("waitlist.draw_exists", _("There is already a draw for that day."))
    seed = seed or secrets.token_bytes(32)
    rnd = DrawRound.objects.create(waitlist=wl, day=day, seed_hash=domain.seed_commitment(seed),
                                   seed_hex=seed.hex(), closes_at=closes_at)
    wlog.append(wl, [wlog.NewEvent(Event.DRAW_COMMITTED, at, None, None, rnd.seed_hash,
                                   f"{day.isoformat()} closes {closes_at.isoformat()}")])
    audit.record(actor=actor, action="waitlist.draw_commit", obj=rnd,
                 new={"day": day, "seed_hash": rnd.seed_hash})
    return rnd


def _client_tag(client: str) -> str:
    """A short, stable tag of the client address for audit events (not the address)."""
    return hashlib.sha256(f"wl-pin-client:{client}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class _Counted:
    """One attempt's place in each count, as its own increments returned them."""

    keys: dict[str, str]  # "pair" / "client" / "number" -> PinCounter.key
    failures: dict[str, int]  # the same -> the count including this attempt
    windows: dict[str, dt.datetime]  # the same -> the end of the window it was counted in
    next_check_before: dt.datetime | None  # the number's slowdown before this attempt
    next_check_set: dt.datetime | None  # the slowdown this attempt set (None: unchanged)


def _slowdown_seconds(on_number: int) -> int:
    """The wait after the on_number-th wrong PIN: 2, 4, 8 ... seconds (never "1 seconds"),
    up to the maximum."""
    return min(2 ** (on_number - PIN_SLOWDOWN_AFTER + 1), PIN_SLOWDOWN_MAX_SECONDS)


def _count(key: str, *, now: dt.datetime, window: dt.timedelta) -> None:
    """failures + 1 on `key` in one UPDATE, never a read and a write: parallel increments
    cannot be lost. A count at zero or whose window has ended starts a new window at 1, so
    a window runs from the first failure in it. The row stays locked until the caller's
    transaction ends."""
    live = Q(window_ends_at__gt=now, failures__gt=0)
    changes = {
        "failures": Case(When(live, then=F("failures") + 1), default=Value(1),
                         output_field=PositiveIntegerField()),
        "window_ends_at": Case(When(live, then=F("window_ends_at")),
                               default=Value(now + window),
                               output_field=DateTimeField()),
    }
    rows = PinCounter.objects.filter(key=key)
    if rows.update(**changes) == 0:  # a new key: create it at 0 (or meet another's row)
        PinCounter.objects.bulk_create([PinCounter(key=key, window_ends_at=now + window)],
                                       ignore_conflicts=True)
        rows.update(**changes)


def _admit(keys: dict[str, str], *, now: dt.datetime) -> _Counted:
    """Count this attempt on every key, then let it through or refuse it on the counts its
    own increments returned, all in one transaction: requests sent together are counted
    one after the other (the rows stay locked until the end; on SQLite the transaction
    holds the write lock), so a burst never gets more guesses than the limits allow.

    A refused attempt raises inside the transaction, which rolls its counting back: it is
    not a guess (the PIN is never looked at), so it neither counts nor lengthens a wait.
    An attempt let through is committed before its PIN is checked, so it stays counted
    whatever happens next; a right PIN gives it back (`_refund`).

    `durable=True`: this must be the outermost transaction. Inside a caller's transaction
    the count would be rolled back with it when the wrong PIN raises (draw_request's old
    bug); Django refuses to nest it (RuntimeError), so that mistake cannot pass unnoticed.
    """
    windows = {"pair": dt.timedelta(seconds=PIN_WINDOW_SECONDS),
               "client": dt.timedelta(seconds=PIN_WINDOW_SECONDS),
               "number": dt.timedelta(seconds=PIN_SLOWDOWN_WINDOW_SECONDS)}
    with transaction.atomic(durable=True):
        # One lock order for every request (by key), so two requests never deadlock.
        for scope, key in sorted(keys.items(), key=lambda item: item[1]):
            _count(key, now=now, window=windows[scope])
        rows = {r.key: r for r in PinCounter.objects.filter(key__in=list(keys.values()))}
        failures = {scope: rows[key].failures for scope, key in keys.items()}
        number = rows[keys["number"]]
        if (failures["pair"] > PIN_MAX_FAILURES
                or failures["client"] > PIN_CLIENT_MAX_FAILURES):
            raise DomainError("waitlist.pin_throttled",
                              _("Too many wrong PINs. Try again in 15 minutes."), status=429)
        if number.next_check_at is not None and now < number.next_check_at:
            wait = max(2, math.ceil((number.next_check_at - now).total_seconds()))
            raise DomainError("waitlist.pin_slowdown",
                              _("Many wrong PINs were tried for this number, so checks are "
                                "slowed down. Try again in %(seconds)s seconds.")
                              % {"seconds": wait}, status=429, details={"retry_after": wait})
        next_check_set = None
        if failures["number"] >= PIN_SLOWDOWN_AFTER:
            # Set now, before the PIN is checked, so that requests arriving meanwhile wait
            # too; given back if the PIN is right.
            next_check_set = now + dt.timedelta(seconds=_slowdown_seconds(failures["number"]))
            PinCounter.objects.filter(pk=number.pk).update(next_check_at=next_check_set)
    return _Counted(keys=keys, failures=failures,
                    windows={scope: rows[key].window_ends_at for scope, key in keys.items()},
                    next_check_before=number.next_check_at, next_check_set=next_check_set)


def _refund(counted: _Counted) -> None:
    """A right PIN: the attempt was no failure. The holder's own earlier typos on this
    (number, client) pair are forgiven with it (everything counted up to this attempt; a
    failure counted after it still counts); the client and the number get back one.
    Only in the window the attempt was counted in; never below zero."""
    with transaction.atomic(durable=True):
        for scope, key in sorted(counted.keys.items(), key=lambda item: item[1]):
            minus = counted.failures["pair"] if scope == "pair" else 1
            rows = PinCounter.objects.filter(key=key)
            rows.filter(window_ends_at=counted.windows[scope]).update(
                failures=Greatest(F("failures") - minus, 0))
            if scope == "number" and counted.next_check_set is not None:
                rows.filter(next_check_at=counted.next_check_set).update(
                    next_check_at=counted.next_check_before)


def prune_pin_counters(*, now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Delete the PIN counters that count nothing (window ended, or back at zero after a
    right PIN) and slow nothing down any more; returns how many. Run once a minute by
    `garita worker`. Rows in use at that moment are skipped (SKIP LOCKED), so this never
    waits for, or deadlocks with, a PIN check; a check that finds its row gone makes it
    again."""
    now = now or timezone.now()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(PinCounter.objects.select_for_update(skip_locked=True)
                       .filter(Q(window_ends_at__lte=now) | Q(failures=0))
                       .exclude(next_check_at__gt=now)
                       .order_by("pk").values_list("pk", flat=True)[:batch])
            if ids:
                PinCounter.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch:
            return deleted


def check_pin(*, port: str | Port, number: int, pin: str, client: str = "",
              at: dt.datetime | None = None) -> Group:
    """A PIN check for the public, built so that a guesser can neither enumerate PINs nor
    lock the real holder out (docs/waitlist.md, "Wrong PINs"):

    - per (number, client): PIN_MAX_FAILURES wrong PINs in PIN_WINDOW_SECONDS refuse THIS
      client on this number (waitlist.pin_throttled, 429); other clients are unaffected;
    - per client, any number: PIN_CLIENT_MAX_FAILURES wrong PINs refuse the client
      (stops one address from sweeping many numbers);
    - per number, all clients: after PIN_SLOWDOWN_AFTER wrong PINs in a day the number is
      slowed down, never locked: each further wrong PIN doubles the wait before the next
      PIN is even checked, up to PIN_SLOWDOWN_MAX_SECONDS (waitlist.pin_slowdown, 429,
      with retry_after). The holder waits at most that long; a guesser spread over many
      addresses gets at most one guess per such wait.
    Every wrong PIN and every throttle or slowdown that starts is an audit event.

    Each attempt is counted (PinCounter, atomic increments, committed) BEFORE its PIN is
    checked, and let through or refused on those counts, so requests sent in parallel
    cannot all slip under a limit; a right PIN gives its count back. Windows are fixed,
    from the first failure counted in them. Must be called outside any transaction (see
    `_admit`): draw_request checks the PIN before opening its own.
    """
    wl = waitlist_for_read(port)
    slug = wl.port.slug
    now = at or timezone.now()
    client = client or "anon"
    tag = _client_tag(client)
    counted = _admit({"pair": f"pair:{slug}:{number}:{tag}", "client": f"client:{tag}",
                      "number": f"number:{slug}:{number}"}, now=now)
    g = Group.objects.filter(waitlist_id=wl.pk, number=number).first()
    if g is not None and pin_matches(f"{slug}:{number}", pin.strip(), g.pin_digest):
        _refund(counted)
        return g
    pair, per_client, on_number = (counted.failures["pair"], counted.failures["client"],
                                   counted.failures["number"])
    object_id = f"{slug}:{number}"
    with transaction.atomic(durable=True):
        audit.record(actor=None, action="waitlist.pin_failed", object_type="waitlist.group",
                     object_id=object_id, new={"client": tag, "failures_on_number": on_number})
        if pair == PIN_MAX_FAILURES or per_client == PIN_CLIENT_MAX_FAILURES:
            audit.record(actor=None, action="waitlist.pin_throttled",
                         object_type="waitlist.group", object_id=object_id,
                         new={"client": tag, "per_number": pair, "per_client": per_client})
        if on_number == PIN_SLOWDOWN_AFTER:
            audit.record(actor=None, action="waitlist.pin_slowdown",
                         object_type="waitlist.group", object_id=object_id,
                         new={"failures_on_number": on_number})
    raise DomainError("waitlist.bad_pin", _("The number or the PIN is not right."),
                      field="pin", status=403)


def draw_request(*, port: str | Port, number: int, pin: str, client: str = "",
                 at: dt.datetime | None = None) -> DrawRequest:
    """A waiting group asks to take part in the current draw (number + PIN).

    The PIN is checked before the request's transaction opens: a wrong PIN raises, and
    inside the transaction its failure counters and audit event would be rolled back with
    it (they were: wrong PINs sent as draw requests were neither throttled nor audited).
    Callers must not wrap it in a transaction of their own, for the same reason (check_pin
    counts in a durable transaction and raises RuntimeError if one is already open).
    """
    g = check_pin(port=port, number=number, pin=pin, client=client)
    return _draw_request(port=port, group_id=g.pk, at=at)


@transaction.atomic
def _draw_request(*, port: str | Port, group_id: int, at: dt.datetime | None) -> DrawRequest:
    wl = _locked(port)
    g = Group.objects.get(pk=group_id)  # re-read under the waitlist's lock
    at = at or timezone.now()
    rnd = DrawRound.objects.filter(waitlist=wl, closes_at__gt=at, revealed=False).first()
    if rnd is None:
        raise Conflict("waitlist.window_closed", _("No request window is open now."))
    if g.status != GroupStatus.WAITING:
        raise Conflict("waitlist.not_waiting", _("This group is no longer on the list."))
    req, created = DrawRequest.objects.get_or_create(round=rnd, group=g)
    if created:
        wlog.append(wl, [wlog.NewEvent(Event.REQUESTED, at, g.number, g.size, g.commitment,
                                       rnd.day.isoformat())])
        audit.record(actor=None, action="waitlist.draw_request", obj=g,
                     new={"number": g.number, "day": rnd.day})
    return req


@transaction.atomic
def draw_reveal(*, actor: Any, port: str | Port, at: dt.datetime | None = None) -> DrawRound:
    """After the window closes, publish the seed so anyone can recompute the draw."""
    require(actor, Permission.WAITLIST_OPERATE)
    wl = _locked(port)
    at = at or timezone.now()
    rnd = (DrawRound.objects.select_for_update().filter(waitlist=wl, revealed=False)
           .order_by("closes_at").first())
    if rnd is None:
        raise NotFound("waitlist.no_draw", _("There is no draw waiting to be revealed."))
    if at < rnd.closes_at:
        raise Conflict("waitlist.window_open",
                       _("The seed is revealed only after the request window closes."))
    rnd.revealed = True
    rnd.save(update_fields=["revealed"])
    wlog.append(wl, [wlog.NewEvent(Event.DRAW_REVEALED, at, None, None, rnd.seed_hash,
                                   rnd.seed_hex)])
    audit.record(actor=actor, action="waitlist.draw_reveal", obj=rnd,
                 new={"seed": rnd.seed_hex})
    return rnd


@transaction.atomic
def publish_checkpoint(*, port: str | Port) -> Any:
    """Sign a checkpoint for the log's current size (idempotent for an unchanged log)."""
    wl = _locked(port)
    return wlog.latest_checkpoint(wl)
