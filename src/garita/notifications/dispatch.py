"""Sending the outbox on the worker: claim, check, render, send, mark; retry with backoff.

A row is claimed by a compare-and-set (QUEUED -> SENDING with this worker's id and a lease),
so two workers never hand the same row to a provider. A worker that dies after sending but
before marking, or a provider reply lost after the request went out (`outcome_unknown`),
leaves a SENDING row whose lease expires: recovery asks the provider whether it left (the
reconcile-before-resend); if it did not, it is queued again; if nobody can tell, an
idempotent provider gets it again under the same idempotency key (it delivers once), and
for any other provider (Twilio) the row becomes UNCONFIRMED and is NOT resent (see
docs/hotline.md and docs/operations.md). STOP, stale hearings and quiet hours are checked
at send time, not only at queue time.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import uuid
import zoneinfo
from collections import Counter

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from garita.audit.services import record
from garita.hearings.models import HearingStatus
from garita.notifications import services as s
from garita.notifications.messages import render
from garita.notifications.models import (
    Channel,
    Notification,
    NotificationStatus,
    OptOut,
    RecipientKind,
)
from garita.notifications.providers import OutgoingMessage, ProviderError, provider_for

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=6)
VOICE_LANGUAGES = {"en": "en-US", "es": "es-MX", "pt": "pt-BR", "ht": "fr-FR"}


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> dt.timedelta:
    """Exponential: base, 2x, 4x ... capped at six hours."""
    base = dt.timedelta(seconds=settings.GARITA_NOTIFY_BACKOFF_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def quiet_until(at: dt.datetime, tz: str) -> dt.datetime | None:
    """If `at` falls in quiet hours in `tz`, the moment they end; else None (pure)."""
    start, end = settings.GARITA_QUIET_HOURS
    zone = zoneinfo.ZoneInfo(tz)
    loc = at.astimezone(zone)
    if start <= loc.hour or loc.hour < end:
        day = loc.date() if loc.hour < end else loc.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(end), tzinfo=zone).astimezone(dt.UTC)
    return None


def _status_callback(n: Notification) -> str:
    base = settings.GARITA_PUBLIC_BASE_URL
    if not base:
        return ""
    return f"{base}{reverse('hotline:status_callback')}?n={n.pk}"


def _message(n: Notification, text: str, subject: str) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=n.pk, channel=n.channel, to=n.to_address, language=n.language,
        subject=subject, text=text, voice_language=VOICE_LANGUAGES.get(n.language, "es-MX"),
        status_callback=_status_callback(n), idempotency_key=n.idempotency_key,
    )


def _finish(n: Notification, me: str, **fields: object) -> int:
    """Update the row only if this worker still owns the claim."""
    return Notification.objects.filter(
        pk=n.pk, status=NotificationStatus.SENDING, claimed_by=me
    ).update(**fields)


def _after_sent(n: Notification) -> dict[str, str]:
    """Fields to change once a message is known to be sent: a waitlist slip's text holds
    the group's PIN, kept only until the send is settled (a lost reply is reconciled by
    comparing texts), then replaced by the same text with the PIN masked."""
    masked = (n.context or {}).get("masked_body") if isinstance(n.context, dict) else None
    return {"body": masked} if masked else {}


def _skip_reason(n: Notification) -> str:
    if OptOut.objects.filter(address=n.to_address).exists():
        return "opted_out"
    if n.case_id is None:  # a waitlist group's message: only the opt-out list applies
        return ""
    if n.recipient_kind == RecipientKind.PERSON:
        assert n.case is not None  # case_id checked above
        if n.case.contacts.filter(value=n.to_address, opted_out_at__isnull=False).exists():
            return "opted_out"
    h = n.hearing
    if h is not None:
        if n.event in s.REMINDER_EVENTS:
            version = (n.context or {}).get("starts_at")
            if h.status != HearingStatus.SCHEDULED or (
                version and version != h.starts_at.isoformat()
            ):
                return "stale"
        elif n.event in (s.HEARING_SCHEDULED, s.HEARING_CHANGED) and (
            h.status == HearingStatus.CANCELLED
        ):
            return "stale"
    return ""


def send_one(n: Notification, me: str, now: dt.datetime) -> str:
    """Send one claimed row; returns what became of it (for the tick's counts)."""
    reason = _skip_reason(n)
    if reason:
        _finish(n, me, status=NotificationStatus.CANCELLED, cancel_reason=reason,
                lease_until=None)
        return "cancelled"
    if n.channel == Channel.VOICE and not n.urgent and n.case is not None:
        until = quiet_until(now, n.case.port.timezone)
        if until is not None:
            _finish(n, me, status=NotificationStatus.QUEUED, send_after=until, lease_until=None,
                    claimed_by="")
            return "deferred"
    rendered = render(n)
    msg = _message(n, rendered.text, rendered.subject)
    Notification.objects.filter(pk=n.pk, claimed_by=me).update(
        attempts=F("attempts") + 1, body=rendered.text)
    attempts = n.attempts + 1
    try:
        provider_id = provider_for(n.channel).send(msg)
    except ProviderError as exc:
        if exc.outcome_unknown:
            # The provider may have accepted it: never resend blindly. The row stays
            # SENDING, unclaimed, until the backoff has passed; recover_expired then asks
            # the provider (the same path as a worker killed after the hand-over).
            _finish(n, me, lease_until=now + backoff(attempts), claimed_by="",
                    last_error=f"outcome unknown: {exc.code} {exc}".strip()[:500])
            return "unknown"
        if exc.retryable and attempts < settings.GARITA_NOTIFY_MAX_ATTEMPTS:
            _finish(n, me, status=NotificationStatus.QUEUED, send_after=now + backoff(attempts),
                    last_error=f"{exc.code} {exc}"[:500], lease_until=None, claimed_by="")
            return "retry"
        _finish(n, me, status=NotificationStatus.FAILED, last_error=f"{exc.code} {exc}"[:500],
                lease_until=None)
        return "failed"
    _finish(n, me, status=NotificationStatus.SENT, provider_message_id=provider_id[:64],
            sent_at=timezone.now(), lease_until=None, last_error="", **_after_sent(n))
    return "sent"


def claim(pk: int, me: str, now: dt.datetime) -> bool:
    lease = now + dt.timedelta(seconds=settings.GARITA_NOTIFY_LEASE_SECONDS)
    return bool(Notification.objects.filter(
        pk=pk, status=NotificationStatus.QUEUED, send_after__lte=now
    ).update(status=NotificationStatus.SENDING, claimed_by=me, lease_until=lease))


def recover_expired(now: dt.datetime) -> Counter[str]:
    """Rows a dead worker (or a lost provider reply) left in SENDING: settle them without
    sending twice."""
    counts: Counter[str] = Counter()
    stuck = Notification.objects.filter(status=NotificationStatus.SENDING,
                                        lease_until__lt=now).select_related("case")
    for n in stuck:
        verdict = None
        if n.attempts > 0 and n.body:  # it got as far as the provider
            msg = _message(n, n.body, "")
            provider = provider_for(n.channel)
            verdict = provider.was_sent(msg)
            if verdict is None and getattr(provider, "idempotent", False):
                verdict = False  # resent under the same key, the provider delivers it once
        else:
            verdict = False  # it never reached the provider: safe to queue again
        if verdict is True:
            new = dict(status=NotificationStatus.SENT, sent_at=n.lease_until, **_after_sent(n))
        elif verdict is False:
            new = dict(status=NotificationStatus.QUEUED, claimed_by="", send_after=now)
        else:
            new = dict(status=NotificationStatus.UNCONFIRMED,
                       last_error="worker stopped between sending and marking")
        Notification.objects.filter(pk=n.pk, status=NotificationStatus.SENDING,
                                    lease_until__lt=now).update(lease_until=None, **new)
        counts[f"recovered_{new['status']}"] += 1
    return counts


def send_due(*, limit: int = 200, now: dt.datetime | None = None, me: str | None = None
             ) -> Counter[str]:
    now = now or timezone.now()
    me = me or worker_id()
    counts: Counter[str] = Counter()
    ids = list(
        Notification.objects.filter(status=NotificationStatus.QUEUED, send_after__lte=now)
        .order_by("send_after", "pk").values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        if not claim(pk, me, now):
            continue  # another worker has it
        n = Notification.objects.select_related(
            "case__port", "hearing__court", "hearing__location", "hearing__report_port"
        ).get(pk=pk)
        try:
            counts[send_one(n, me, now)] += 1
        except Exception as exc:  # a bug, or the database gone, must not stop the others
            log.exception("notification %s failed", pk)
            # It may have failed after the provider accepted it (marking it SENT failed):
            # never queue it blindly. Left SENDING, it is reconciled after the backoff.
            try:
                _finish(n, me, lease_until=now + backoff(n.attempts + 1), claimed_by="",
                        last_error=f"internal: {type(exc).__name__}"[:500])
            except Exception:  # noqa: BLE001 - the lease expires and recovery settles it
                log.exception("notification %s left to recovery", pk)
            counts["error"] += 1
    return counts


def tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the worker: plan reminders, settle crashed claims, send what is due."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    counts["planned"] = s.plan_reminders(now=now)
    counts.update(recover_expired(now))
    counts.update(send_due(now=now))
    sent = {k: v for k, v in counts.items() if v and k != "planned"}
    if sent:
        record(actor="notifications", action="notifications.dispatched",
               object_type="notifications.notification", new=sent)
    return dict(counts)


STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "unconfirmed": 2, "failed": 3,
                "delivered": 3}
DELIVERED = {"delivered", "read", "completed"}
UNDELIVERED = {"undelivered", "failed", "busy", "no-answer", "canceled"}


def apply_status_callback(*, notification_id: int | None, provider_id: str, status: str,
                          error_code: str = "") -> bool:
    """A provider's delivery report; only moves a message forward, never back."""
    status = (status or "").strip().lower()[:32]
    qs = Notification.objects.all()
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    elif provider_id:
        qs = qs.filter(provider_message_id=provider_id)
    else:
        return False
    n = qs.first()
    if n is None:
        return False
    fields: dict[str, object] = {"delivery_status": status}
    if provider_id and not n.provider_message_id:
        fields["provider_message_id"] = provider_id[:64]
    if status in DELIVERED:
        fields.update(status=NotificationStatus.DELIVERED, delivered_at=timezone.now())
    elif status in UNDELIVERED:
        fields.update(status=NotificationStatus.FAILED,
                      last_error=f"provider: {status} {error_code}".strip()[:500])
    elif status in {"sent", "queued", "accepted", "sending", "ringing", "in-progress",
                    "initiated"} and n.status in (NotificationStatus.SENDING,
                                                  NotificationStatus.UNCONFIRMED):
        fields.update(status=NotificationStatus.SENT, sent_at=n.sent_at or timezone.now())
    if n.status == NotificationStatus.DELIVERED:
        fields = {"delivery_status": fields["delivery_status"]} if status in DELIVERED else {}
    if fields:
        Notification.objects.filter(pk=n.pk).update(**fields)
    return True
