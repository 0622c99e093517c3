"""Queueing notices and reminders into the outbox, and the opt-out list.

`notify_bulk(events)` is the one entry point other apps use (hearings scheduled, changed,
cancelled; mass reschedules): it fans each event out to the person (SMS, WhatsApp, e-mail,
voice for urgent events, as each contact consented), their active representatives (e-mail,
SMS) and consenting shelters (SMS), and is idempotent: the same event twice queues nothing
new. Reminders are planned just in time by `plan_reminders` on the worker. Nothing here
sends; an address that sent STOP is never queued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from garita.audit.services import record
from garita.core.sql import column
from garita.intake.models import Appearance, Case, Consent, ContactKind, ContactPoint
from garita.notifications.models import (
    Channel,
    Notification,
    NotificationStatus,
    OptOut,
    RecipientKind,
    StaffContact,
)

# Events other apps may emit.
HEARING_SCHEDULED = "hearing_scheduled"
HEARING_CHANGED = "hearing_changed"
HEARING_CANCELLED = "hearing_cancelled"
# Reminders, planned by the worker.
REMINDER_7D = "reminder_7d"
REMINDER_1D = "reminder_1d"
REMINDER_REPORT = "reminder_report"

NOTICE_EVENTS = (HEARING_SCHEDULED, HEARING_CHANGED, HEARING_CANCELLED)
REMINDER_EVENTS = (REMINDER_7D, REMINDER_1D, REMINDER_REPORT)
# A call is intrusive and costs money: only for changes and the last reminders.
VOICE_EVENTS = frozenset({HEARING_CHANGED, HEARING_CANCELLED, REMINDER_1D, REMINDER_REPORT})


@dataclass(frozen=True)
class CaseEvent:
    case_id: int
    event: str
    hearing_id: int | None = None
    # Distinguishes two changes of the same hearing (e.g. the new start time, ISO 8601).
    version: str = ""


@dataclass(frozen=True)
class Recipient:
    kind: str
    channel: str
    address: str
    language: str


def _language(lang_639_3: str) -> str:
    return {"spa": "es", "por": "pt", "hat": "ht", "eng": "en", "es": "es", "pt": "pt",
            "ht": "ht", "en": "en"}.get(lang_639_3, "es")


def _opted_out(addresses: set[str]) -> set[str]:
    if not addresses:
        return set()
    return set(OptOut.objects.filter(address__in=addresses).values_list("address", flat=True))


CHUNK = 2000  # SQLite caps the number of parameters in one query


def recipients_for(case_ids: set[int]) -> dict[int, list[Recipient]]:
    """Everyone who should hear about each case, on every channel they agreed to."""
    ids = sorted(case_ids)
    out: dict[int, list[Recipient]] = {}
    for i in range(0, len(ids), CHUNK):
        out.update(_recipients_chunk(set(ids[i:i + CHUNK])))
    return out


def _recipients_chunk(case_ids: set[int]) -> dict[int, list[Recipient]]:
    out: dict[int, list[Recipient]] = {cid: [] for cid in case_ids}
    langs = {
        pk: _language((languages or ["spa"])[0])
        for pk, languages in Case.objects.filter(pk__in=case_ids).values_list(
            "pk", "person__languages")
    }
    for case_id, kind, value, consent_sms, consent_voice in ContactPoint.objects.filter(
        case_id__in=case_ids, opted_out_at__isnull=True
    ).values_list("case_id", "kind", "value", "consent_sms", "consent_voice"):
        lang = langs.get(case_id, "es")
        if kind == ContactKind.PHONE:
            if consent_sms:
                out[case_id].append(Recipient(RecipientKind.PERSON, Channel.SMS, value, lang))
            if consent_voice:
                out[case_id].append(Recipient(RecipientKind.PERSON, Channel.VOICE, value, lang))
        elif kind == ContactKind.WHATSAPP and consent_sms:
            out[case_id].append(Recipient(RecipientKind.PERSON, Channel.WHATSAPP, value, lang))
        elif kind == ContactKind.EMAIL:
            out[case_id].append(Recipient(RecipientKind.PERSON, Channel.EMAIL, value, lang))
    reps = Appearance.objects.filter(case_id__in=case_ids, withdrawn_at__isnull=True,
                                     representative__is_active=True).select_related(
        "representative")
    rep_ids = {a.representative_id for a in reps}
    staff = {s.user_id: s for s in StaffContact.objects.filter(user_id__in=rep_ids)}
    for a in reps:
        user = a.representative
        pref = staff.get(user.pk)
        lang = _language(user.preferred_language or "en")
        if user.email and (pref is None or pref.email_enabled):
            out[a.case_id].append(
                Recipient(RecipientKind.REPRESENTATIVE, Channel.EMAIL, user.email, lang))
        if pref is not None and pref.sms_enabled and pref.sms_phone:
            out[a.case_id].append(
                Recipient(RecipientKind.REPRESENTATIVE, Channel.SMS, pref.sms_phone, lang))
    for c in Consent.objects.filter(case_id__in=case_ids, grantee_type=Consent.Grantee.SHELTER,
                                    revoked_at__isnull=True, shelter__isnull=False
                                    ).select_related("shelter"):
        shelter = c.shelter
        assert shelter is not None  # shelter__isnull=False above
        if shelter.phone:
            out[c.case_id].append(
                Recipient(RecipientKind.SHELTER, Channel.SMS, shelter.phone, "es"))
    addresses = sorted({r.address for rs in out.values() for r in rs})
    blocked: set[str] = set()
    for i in range(0, len(addresses), CHUNK):
        blocked |= _opted_out(set(addresses[i:i + CHUNK]))
    for cid, rs in out.items():
        seen: set[tuple[str, str, str]] = set()
        kept = []
        for r in rs:
            if r.address in blocked or (r.kind, r.channel, r.address) in seen:
                continue
            seen.add((r.kind, r.channel, r.address))
            kept.append(r)
        out[cid] = kept
    return out


def idempotency_key(event: str, case_id: int, hearing_id: int | None, version: str,
                    r: Recipient) -> str:
    address = r.address if len(r.address) <= 64 else hashlib.sha256(
        r.address.encode()).hexdigest()[:32]
    key = f"{event}:{case_id}:{hearing_id}:{version}:{r.kind}:{r.channel}:{address}"
    return key if len(key) <= 200 else hashlib.sha256(key.encode()).hexdigest()


def _rows(ev: CaseEvent, recipients: list[Recipient], *, send_after: dt.datetime,
          urgent: bool = False, context: dict | None = None) -> list[dict[str, Any]]:
    """One outbox row per recipient, as plain values (no model instances: a mass reschedule
    queues 100,000 of them)."""
    rows = []
    ctx = json.dumps(dict(context or {}, version=ev.version), cls=DjangoJSONEncoder,
                     ensure_ascii=False)
    for r in recipients:
        if r.channel == Channel.VOICE and ev.event not in VOICE_EVENTS:
            continue
        rows.append({
            "case_id": ev.case_id, "hearing_id": ev.hearing_id, "event": ev.event,
            "recipient_kind": r.kind, "channel": r.channel, "to_address": r.address,
            "language": r.language, "idempotency_key": idempotency_key(
                ev.event, ev.case_id, ev.hearing_id, ev.version, r),
            "send_after": send_after, "urgent": urgent, "context": ctx,
        })
    return rows


# Every column of the outbox row, in order; the ones a new row leaves at their default.
_DEFAULTS: dict[str, Any] = {
    "status": NotificationStatus.QUEUED.value, "attempts": 0, "last_error": "",
    "provider_message_id": "", "sent_at": None, "claimed_by": "", "lease_until": None,
    "delivery_status": "", "delivered_at": None, "cancel_reason": "", "body": "",
}


def _columns() -> list[str]:
    return [f.attname for f in Notification._meta.concrete_fields if not f.primary_key]


def _insert(rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose idempotency key is new, counting only those.

    One multi-row INSERT per chunk that skips a key inserted meanwhile by a concurrent
    call (the unique key decides), instead of the ORM's per-value preparation, which was
    most of the cost of queueing 100,000 notices."""
    if not rows:
        return 0
    keys = [r["idempotency_key"] for r in rows]
    existing: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        existing |= set(Notification.objects.filter(idempotency_key__in=keys[i:i + CHUNK])
                        .values_list("idempotency_key", flat=True))
    seen: set[str] = set()
    fresh = []
    for r in rows:
        k = r["idempotency_key"]
        if k not in existing and k not in seen:
            seen.add(k)
            fresh.append(r)
    if not fresh:
        return 0
    columns = _columns()
    fields = {f.attname: f for f in Notification._meta.concrete_fields}
    ops = connection.ops
    adapt_dt = ops.adapt_datetimefield_value
    created = adapt_dt(timezone.now())
    # Per column: how to get the stored value from a row (datetimes adapted once each).
    getters: list[Any] = []
    for col in columns:
        if col == "created_at":
            getters.append(lambda r, v=created: v)
        elif col in _DEFAULTS:
            default = _DEFAULTS[col]
            getters.append(lambda r, c=col, d=default: r.get(c, d))
        elif isinstance(fields[col], models.DateTimeField):
            getters.append(lambda r, c=col: adapt_dt(r[c]) if r[c] is not None else None)
        elif col in rows[0]:
            getters.append(lambda r, c=col: r[c])
        else:
            # A column this fan-out does not set (e.g. waitlist_group_id): the field's
            # default, so a new field on Notification never breaks the bulk insert.
            default = fields[col].get_db_prep_save(fields[col].get_default(), connection)
            getters.append(lambda r, c=col, d=default: r.get(c, d))
    table = ops.quote_name(Notification._meta.db_table)
    cols = ", ".join(ops.quote_name(column(fields[c])) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per = max(1, 30000 // len(columns))  # under SQLite's cap on bound variables
    if connection.vendor == "sqlite":
        head, tail = f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ", ""
    else:
        head, tail = f"INSERT INTO {table} ({cols}) VALUES ", " ON CONFLICT DO NOTHING"
    with connection.cursor() as cur:
        for i in range(0, len(fresh), per):
            part = fresh[i:i + per]
            params = [get(r) for r in part for get in getters]
            cur.execute(head + ", ".join([one] * len(part)) + tail, params)  # noqa: S608
    return len(fresh)


@transaction.atomic
def notify_bulk(events: Iterable[CaseEvent]) -> int:
    """Queue notices for these events; returns how many were newly queued."""
    events = list(events)
    if not events:
        return 0
    recipients = recipients_for({e.case_id for e in events})
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    for ev in events:
        rows.extend(_rows(ev, recipients.get(ev.case_id, []), send_after=now))
    created = _insert(rows)
    if created:
        transaction.on_commit(_kick_worker)
    return created


def _kick_worker() -> None:
    """Ask the worker to send now rather than at its next minute (never sends here)."""
    try:
        from garita.notifications.tasks import dispatch_outbox

        if "Immediate" in type(dispatch_outbox.get_backend()).__name__:
            return  # an immediate backend would send inside this request: leave it to the tick
        dispatch_outbox.enqueue()
    except Exception:  # noqa: BLE001 - the periodic tick sends anyway
        pass


# ---------------------------------------------------------------- the waitlist slip by SMS

WAITLIST_REGISTERED = "waitlist_registered"


def waitlist_language(member_languages: Iterable[Iterable[str]]) -> str:
    """The first of en/es/pt/ht among the members' languages (in order), else Spanish (pure)."""
    known = {"spa": "es", "por": "pt", "hat": "ht", "eng": "en", "es": "es", "pt": "pt",
             "ht": "ht", "en": "en"}
    for languages in member_languages:
        for code in languages:
            lang = known.get(str(code).strip().lower())
            if lang:
                return lang
    return "es"


def queue_waitlist_registered(*, group_id: int, phone: str, language: str, body: str,
                              masked_body: str = "") -> bool:
    """Queue the registration SMS (number + PIN) of a waitlist group; True if queued.

    Called inside register_group's transaction. The body is rendered by the caller, now,
    because the PIN exists in clear only at registration; it is the row's only copy and is
    never logged, and once the message is sent it is replaced by `masked_body` (the same text
    with the PIN as asterisks), so a sent slip leaves no PIN behind. Nothing is queued to an
    opted-out number; the idempotency key is one per group and number, so a retried
    registration never queues a second message.
    """
    if not phone or _opted_out({phone}):
        return False
    r = Recipient(RecipientKind.PERSON, Channel.SMS, phone, language)
    key = idempotency_key(WAITLIST_REGISTERED, 0, None, f"wl{group_id}", r)
    created = _insert([{
        "case_id": None, "hearing_id": None, "waitlist_group_id": group_id,
        "event": WAITLIST_REGISTERED, "recipient_kind": r.kind, "channel": r.channel,
        "to_address": phone, "language": language, "idempotency_key": key,
        "send_after": timezone.now(), "urgent": False, "body": body,
        "context": json.dumps({"version": f"wl{group_id}", "masked_body": masked_body},
                              ensure_ascii=False),
    }])
    if created:
        transaction.on_commit(_kick_worker)
    return bool(created)


# ---------------------------------------------------------------- reminders

REMINDER_HOUR = 9  # 7-day and 1-day reminders go out at 09:00 in the person's time zone
PLAN_LOOKAHEAD = dt.timedelta(minutes=15)
PLAN_GRACE = dt.timedelta(hours=12)  # a worker down this long still sends late reminders


def reminder_times(*, starts_at: dt.datetime, report_at: dt.datetime | None, tz: str,
                   report_lead: dt.timedelta) -> dict[str, dt.datetime]:
    """When each reminder of one hearing is due (pure)."""
    zone = zoneinfo.ZoneInfo(tz)
    day = starts_at.astimezone(zone).date()

    def at_nine(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(REMINDER_HOUR), tzinfo=zone).astimezone(dt.UTC)

    out = {REMINDER_7D: at_nine(day - dt.timedelta(days=7)),
           REMINDER_1D: at_nine(day - dt.timedelta(days=1))}
    if report_at is not None:
        out[REMINDER_REPORT] = report_at - report_lead
    return out


def plan_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the reminders that fall due soon; idempotent, so every tick may run it."""
    from django.conf import settings

    from garita.hearings.models import Hearing, HearingStatus

    now = now or timezone.now()
    lead = dt.timedelta(minutes=settings.GARITA_REPORT_REMINDER_LEAD_MINUTES)
    hearings = list(
        Hearing.objects.filter(
            status=HearingStatus.SCHEDULED, starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(days=8) + PLAN_LOOKAHEAD,
        ).select_related("case__port").only(
            "pk", "case_id", "starts_at", "report_at", "case__port__timezone")
    )
    due: list[tuple[Hearing, str, dt.datetime]] = []
    for h in hearings:
        times = reminder_times(starts_at=h.starts_at, report_at=h.report_at,
                               tz=h.case.port.timezone, report_lead=lead)
        for event, at in times.items():
            if now - PLAN_GRACE <= at <= now + PLAN_LOOKAHEAD and at < h.starts_at:
                due.append((h, event, at))
    if not due:
        return 0
    recipients = recipients_for({h.case_id for h, _e, _a in due})
    rows: list[dict[str, Any]] = []
    for h, event, at in due:
        version = h.starts_at.isoformat()
        ev = CaseEvent(case_id=h.case_id, event=event, hearing_id=h.pk, version=version)
        rows.extend(_rows(ev, recipients.get(h.case_id, []), send_after=max(at, now),
                          urgent=event == REMINDER_REPORT, context={"starts_at": version}))
    with transaction.atomic():
        created = _insert(rows)
        if created:
            record(actor="notifications", action="notifications.reminders_planned",
                   object_type="notifications.notification", new={"queued": created})
    return created


# ---------------------------------------------------------------- opt-out (STOP / START)


@transaction.atomic
def record_opt_out(*, address: str, source: str) -> int:
    """STOP: mark every contact with this number opted out and cancel what is queued."""
    now = timezone.now()
    OptOut.objects.update_or_create(address=address, defaults={"opted_out_at": now,
                                                               "source": source[:32]})
    ContactPoint.objects.filter(value=address, opted_out_at__isnull=True).update(opted_out_at=now)
    cancelled = Notification.objects.filter(
        to_address=address, status=NotificationStatus.QUEUED
    ).update(status=NotificationStatus.CANCELLED, cancel_reason="opted_out")
    record(actor=source, action="notifications.opt_out", object_type="notifications.optout",
           new={"cancelled": cancelled})
    return cancelled


@transaction.atomic
def record_opt_in(*, address: str, source: str) -> None:
    """START: the number may be messaged again (consents on each contact still apply)."""
    deleted, _ = OptOut.objects.filter(address=address).delete()
    ContactPoint.objects.filter(value=address, opted_out_at__isnull=False).update(
        opted_out_at=None)
    if deleted:
        record(actor=source, action="notifications.opt_in", object_type="notifications.optout")
