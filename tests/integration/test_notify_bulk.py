"""Queueing notices is idempotent: the same event twice queues nothing new."""

import pytest

from garita.notifications.models import Notification
from garita.notifications.services import HEARING_SCHEDULED, CaseEvent, notify_bulk
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_an_event_is_queued_once_per_phone_even_if_sent_twice():
    case = make_case(languages=["por"])
    ev = CaseEvent(case_id=case.pk, event=HEARING_SCHEDULED, version="2019-06-01T08:00")
    assert notify_bulk([ev]) == 1
    assert notify_bulk([ev]) == 0
    n = Notification.objects.get()
    assert n.to_address == "+526641234567" and n.language == "pt"


def test_a_queued_row_reads_back_whole(monkeypatch):
    """The outbox rows are written with one multi-row INSERT: every column must read back
    as the ORM would have written it."""
    import datetime as dt

    from django.utils import timezone

    from garita.notifications.models import NotificationStatus
    from garita.notifications.services import HEARING_CHANGED

    case = make_case()
    before = timezone.now()
    ev = CaseEvent(case_id=case.pk, event=HEARING_CHANGED, version="2020-04-22T08:30:00-07:00")
    assert notify_bulk([ev, ev]) >= 1  # the same event twice in one call: once per address
    rows = list(Notification.objects.filter(case=case))
    assert len({(n.channel, n.to_address) for n in rows}) == len(rows)
    n = rows[0]
    assert n.status == NotificationStatus.QUEUED and n.attempts == 0 and n.urgent is False
    assert n.context == {"version": "2020-04-22T08:30:00-07:00"}
    assert n.created_at.tzinfo is not None
    assert before - dt.timedelta(seconds=1) <= n.send_after <= timezone.now()
    assert before - dt.timedelta(seconds=1) <= n.created_at <= timezone.now()
    assert n.sent_at is None and n.lease_until is None and n.body == ""


def test_a_row_inserted_meanwhile_by_another_worker_is_skipped_not_an_error(monkeypatch):
    """Two workers fanning out the same event: the unique key decides, nothing fails."""
    from garita.notifications import services

    case = make_case()
    ev = CaseEvent(case_id=case.pk, event=HEARING_SCHEDULED, version="v1")
    assert notify_bulk([ev]) == 1
    # The other worker's row is already there but this call's pre-check does not see it.
    monkeypatch.setattr(services.Notification.objects, "filter",
                        lambda **kw: Notification.objects.none())
    notify_bulk([ev])
    monkeypatch.undo()
    assert Notification.objects.filter(case=case).count() == 1
