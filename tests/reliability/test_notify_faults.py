"""Faults in sending: an SMS provider that fails 30% of sends, in process.

Every message is delivered in the end and none twice: the outbox retries with backoff
until the provider takes it, and a sent row is never claimed again.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter

import pytest
from django.utils import timezone

from garita.notifications import dispatch
from garita.notifications.models import Notification, NotificationStatus
from garita.notifications.providers import ProviderError
from garita.notifications.services import HEARING_SCHEDULED, CaseEvent, notify_bulk
from tests.factories import make_case

pytestmark = pytest.mark.db_backend

TIJUANA = zoneinfo.ZoneInfo("America/Tijuana")


class FlakyProvider:
    """Refuses a fixed share of sends with a retry-able error (an SMS gateway's 503)."""

    def __init__(self, failure_rate: float, seed: int) -> None:
        self.failure_rate = failure_rate
        self.rng = random.Random(seed)
        self.accepted: Counter[int] = Counter()
        self.refused = 0

    def send(self, msg) -> str:  # type: ignore[no-untyped-def]
        if self.rng.random() < self.failure_rate:
            self.refused += 1
            raise ProviderError("gateway busy", retryable=True, code="503")
        self.accepted[msg.notification_id] += 1
        return f"SM{msg.notification_id}"

    def was_sent(self, msg) -> bool:  # type: ignore[no-untyped-def]
        return msg.notification_id in self.accepted


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [7, 2019])
def test_a_provider_failing_30_percent_of_sends_delivers_every_message_once(settings,
                                                                            monkeypatch, seed):
    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60
    flaky = FlakyProvider(0.3, seed)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: flaky)
    cases = [make_case() for _ in range(40)]
    notify_bulk([CaseEvent(c.pk, HEARING_SCHEDULED, None, "v1") for c in cases])
    queued = set(Notification.objects.values_list("pk", flat=True))
    assert len(queued) >= len(cases)

    # Office hours (no quiet-hours deferral); each pass runs once the backoff has passed.
    t = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10),
                            tzinfo=TIJUANA).astimezone(dt.UTC)
    for _ in range(48):  # the longest backoff before the last attempt is well under an hour
        dispatch.send_due(now=t, limit=1000)
        if not Notification.objects.filter(status=NotificationStatus.QUEUED).exists():
            break
        t += dt.timedelta(hours=1)

    assert flaky.refused > 0, "the provider never failed: the test proves nothing"
    rows = Notification.objects.in_bulk(queued)
    assert {n.status for n in rows.values()} == {NotificationStatus.SENT}
    assert set(flaky.accepted) == queued, "a message was lost"
    assert max(flaky.accepted.values()) == 1, "a message was sent twice"
    assert sum(n.attempts for n in rows.values()) == len(queued) + flaky.refused
