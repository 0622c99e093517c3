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
