"""Queueing notices and reminders into the outbox.

`notify_bulk(events)` is the one entry point other apps use (hearings scheduled, changed,
cancelled; mass reschedules): it fans each event out to recipients and channels and is
idempotent, so calling it twice for the same event queues nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from garita.intake.models import Case, ContactKind, ContactPoint
from garita.notifications.models import Channel, Notification, RecipientKind

# Events other apps may emit.
HEARING_SCHEDULED = "hearing_scheduled"
HEARING_CHANGED = "hearing_changed"
HEARING_CANCELLED = "hearing_cancelled"


@dataclass(frozen=True)
class CaseEvent:
    case_id: int
    event: str
    hearing_id: int | None = None
    # Distinguishes two changes of the same hearing (e.g. the new start time, ISO 8601).
    version: str = ""


def _language(lang_639_3: str) -> str:
    return {"spa": "es", "por": "pt", "hat": "ht", "eng": "en"}.get(lang_639_3, "es")


@transaction.atomic
def notify_bulk(events: Iterable[CaseEvent]) -> int:
    """Queue notices for these events; returns how many were newly queued."""
    events = list(events)
    if not events:
        return 0
    case_ids = {e.case_id for e in events}
    phones: dict[int, list[str]] = {}
    for cp in ContactPoint.objects.filter(
        case_id__in=case_ids, kind=ContactKind.PHONE, opted_out_at__isnull=True, consent_sms=True
    ).only("case_id", "value"):
        phones.setdefault(cp.case_id, []).append(cp.value)
    langs = {
        pk: (languages or ["spa"])[0]
        for pk, languages in Case.objects.filter(pk__in=case_ids).values_list(
            "pk", "person__languages"
        )
    }
    now = timezone.now()
    rows = []
    for ev in events:
        for phone in phones.get(ev.case_id, []):
            key = f"{ev.event}:{ev.case_id}:{ev.hearing_id}:{ev.version}:person:sms:{phone}"
            rows.append(
                Notification(
                    case_id=ev.case_id, hearing_id=ev.hearing_id, event=ev.event,
                    recipient_kind=RecipientKind.PERSON, channel=Channel.SMS, to_address=phone,
                    language=_language(langs.get(ev.case_id, "spa")), idempotency_key=key,
                    send_after=now,
                )
            )
    before = Notification.objects.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return Notification.objects.count() - before
