"""The outbox: fan-out to person, representative and shelter; sending with retries and
backoff, no duplicates (also across a worker crash), STOP, quiet hours, stale reminders."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.utils import timezone

from garita.hearings.models import Hearing
from garita.intake.models import Appearance, Consent, ContactPoint, Shelter
from garita.notifications import dispatch, providers
from garita.notifications.models import (
    Notification,
    NotificationStatus,
    OptOut,
    StaffContact,
)
from garita.notifications.providers import ProviderError
from garita.notifications.services import (
    HEARING_CANCELLED,
    HEARING_CHANGED,
    HEARING_SCHEDULED,
    REMINDER_1D,
    REMINDER_7D,
    REMINDER_REPORT,
    CaseEvent,
    notify_bulk,
    plan_reminders,
)
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing

pytestmark = pytest.mark.django_db

TIJUANA = zoneinfo.ZoneInfo("America/Tijuana")


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.GARITA_OUTBOX_DIR = tmp_path / "outbox"
    settings.GARITA_NOTIFY_PROVIDER = "file"
    settings.GARITA_NOTIFY_MAX_ATTEMPTS = 3
    settings.GARITA_NOTIFY_BACKOFF_SECONDS = 60
    settings.TWILIO_AUTH_TOKEN = "test-auth-token-0123456789abcdef"


def noon() -> dt.datetime:
    return dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(12),
                               tzinfo=TIJUANA)


def test_fan_out_reaches_person_representative_and_consenting_shelter(make_user, court):
    case = make_case()
    hearing = make_hearing(case, court)
    rep = make_user("legal_representative", email="abogada@example.org")
    StaffContact.objects.create(user=rep, sms_phone="+16195550123")
    Appearance.objects.create(case=case, representative=rep, filed_at=timezone.now())
    old_rep = make_user("legal_representative", email="old@example.org")
    Appearance.objects.create(case=case, representative=old_rep, filed_at=timezone.now(),
                              withdrawn_at=timezone.now())
    shelter = Shelter.objects.create(name="Casa del Migrante", phone="+526646822102")
    Consent.objects.create(case=case, grantee_type="shelter", shelter=shelter,
                           given_at=timezone.now())
    other = Shelter.objects.create(name="Other shelter", phone="+526640000999")
    Consent.objects.create(case=case, grantee_type="shelter", shelter=other,
                           given_at=timezone.now(), revoked_at=timezone.now())
    n = notify_bulk([CaseEvent(case.pk, HEARING_CHANGED, hearing.pk, "v2")])
    got = set(Notification.objects.values_list("recipient_kind", "channel", "to_address"))
    assert got == {
        ("person", "sms", "+526641234567"), ("person", "voice", "+526641234567"),
        ("representative", "email", "abogada@example.org"),
        ("representative", "sms", "+16195550123"),
        ("shelter", "sms", "+526646822102"),
    }
    assert n == 5


def test_scheduled_notice_is_not_a_phone_call(court):
    case = make_case()
    h = make_hearing(case, court)
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, h.pk, "v1")])
    assert list(Notification.objects.values_list("channel", flat=True)) == ["sms"]


def test_contact_consents_decide_the_channels(court):
    case = make_case(phone=None)
    h = make_hearing(case, court)
    ContactPoint.objects.create(case=case, kind="phone", value="+521", consent_sms=False,
                                consent_voice=True)
    ContactPoint.objects.create(case=case, kind="whatsapp", value="+522")
    ContactPoint.objects.create(case=case, kind="email", value="p@example.org")
    notify_bulk([CaseEvent(case.pk, HEARING_CANCELLED, h.pk, "v1")])
    assert set(Notification.objects.values_list("channel", "to_address")) == {
        ("voice", "+521"), ("whatsapp", "+522"), ("email", "p@example.org")}


def test_sending_writes_to_the_file_backend_without_names(court, settings):
    case = make_case(languages=["hat"])
    h = make_hearing(case, court)
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, h.pk, "v1")])
    counts = dispatch.send_due(now=noon().astimezone(dt.UTC))
    assert counts["sent"] == 1
    n = Notification.objects.get()
    assert n.status == NotificationStatus.SENT and n.attempts == 1
    path = settings.GARITA_OUTBOX_DIR / "sms" / f"{n.pk}.json"
    body = json.loads(path.read_text())
    assert "Garita: gen yon odyans" in body["text"]
    assert "María" not in body["text"] and "Núñez" not in body["text"]
    assert case.a_number not in body["text"]  # masked for the person
    # sending again does nothing: the row is no longer queued
    assert dispatch.send_due(now=noon().astimezone(dt.UTC))["sent"] == 0


class FlakyProvider:
    def __init__(self, failures: int, retryable: bool = True) -> None:
        self.failures = failures
        self.retryable = retryable
        self.sent: list[int] = []

    def send(self, msg):
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError("provider down", retryable=self.retryable, code="503")
        self.sent.append(msg.notification_id)
        return f"SM{msg.notification_id}"

    def was_sent(self, msg):
        return msg.notification_id in self.sent


def test_failed_sends_retry_with_exponential_backoff_and_send_once(court, monkeypatch):
    flaky = FlakyProvider(failures=2)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: flaky)
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    t0 = noon().astimezone(dt.UTC)
    assert dispatch.send_due(now=t0)["retry"] == 1
    n = Notification.objects.get()
    assert n.status == NotificationStatus.QUEUED and n.send_after == t0 + dt.timedelta(seconds=60)
    assert dispatch.send_due(now=t0 + dt.timedelta(seconds=30))["retry"] == 0  # not yet due
    t1 = t0 + dt.timedelta(seconds=61)
    assert dispatch.send_due(now=t1)["retry"] == 1
    n.refresh_from_db()
    assert n.send_after == t1 + dt.timedelta(seconds=120)
    assert dispatch.send_due(now=t1 + dt.timedelta(seconds=121))["sent"] == 1
    n.refresh_from_db()
    assert n.status == NotificationStatus.SENT and n.attempts == 3
    assert flaky.sent == [n.pk]


def test_gives_up_after_max_attempts(monkeypatch):
    flaky = FlakyProvider(failures=99)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: flaky)
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    t = noon().astimezone(dt.UTC)
    for _ in range(3):
        dispatch.send_due(now=t)
        t += dt.timedelta(hours=7)
    n = Notification.objects.get()
    assert n.status == NotificationStatus.FAILED and n.attempts == 3 and "503" in n.last_error


def test_permanent_error_fails_at_once(monkeypatch):
    monkeypatch.setattr(dispatch, "provider_for",
                        lambda channel: FlakyProvider(failures=1, retryable=False))
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    dispatch.send_due(now=noon().astimezone(dt.UTC))
    assert Notification.objects.get().status == NotificationStatus.FAILED


def test_a_claimed_row_cannot_be_claimed_twice():
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    n = Notification.objects.get()
    now = timezone.now()
    assert dispatch.claim(n.pk, "worker-a", now) is True
    assert dispatch.claim(n.pk, "worker-b", now) is False


def _crash_after_send(monkeypatch, provider) -> Notification:
    """Simulate a worker that handed the message over, then died before marking it."""
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    n = Notification.objects.get()
    now = noon().astimezone(dt.UTC)
    assert dispatch.claim(n.pk, "dead-worker", now)
    monkeypatch.setattr(dispatch, "_finish", lambda *a, **k: 0)  # the crash: nothing marked
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    n = Notification.objects.select_related("case__port").get(pk=n.pk)
    dispatch.send_one(n, "dead-worker", now)
    monkeypatch.undo()
    return Notification.objects.get(pk=n.pk)


def test_crash_after_a_confirmed_send_does_not_send_again(monkeypatch):
    provider = FlakyProvider(failures=0)
    n = _crash_after_send(monkeypatch, provider)
    assert n.status == NotificationStatus.SENDING
    later = n.lease_until + dt.timedelta(seconds=1)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    counts = dispatch.recover_expired(later)
    dispatch.send_due(now=later)
    n.refresh_from_db()
    assert counts["recovered_sent"] == 1 and n.status == NotificationStatus.SENT
    assert provider.sent == [n.pk]  # exactly once


def test_crash_with_unknown_outcome_is_unconfirmed_not_resent(monkeypatch):
    class Unknown(FlakyProvider):
        def was_sent(self, msg):
            return None

    provider = Unknown(failures=0)
    n = _crash_after_send(monkeypatch, provider)
    later = n.lease_until + dt.timedelta(seconds=1)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    dispatch.recover_expired(later)
    dispatch.send_due(now=later)
    n.refresh_from_db()
    assert n.status == NotificationStatus.UNCONFIRMED and provider.sent == [n.pk]


def test_crash_before_reaching_the_provider_is_queued_again():
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    n = Notification.objects.get()
    now = noon().astimezone(dt.UTC)
    dispatch.claim(n.pk, "dead-worker", now)
    n.refresh_from_db()
    dispatch.recover_expired(n.lease_until + dt.timedelta(seconds=1))
    n.refresh_from_db()
    assert n.status == NotificationStatus.QUEUED


def test_file_backend_recovers_a_crash_exactly(monkeypatch, settings):
    n = _crash_after_send(monkeypatch, providers.FileProvider())
    later = n.lease_until + dt.timedelta(seconds=1)
    assert dispatch.recover_expired(later)["recovered_sent"] == 1


def test_stop_after_queueing_is_honoured_at_send_time():
    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    OptOut.objects.create(address="+526641234567", opted_out_at=timezone.now())
    counts = dispatch.send_due(now=noon().astimezone(dt.UTC))
    n = Notification.objects.get()
    assert counts["cancelled"] == 1 and n.cancel_reason == "opted_out"


def test_no_calls_in_quiet_hours_but_sms_goes(court):
    case = make_case()
    h = make_hearing(case, court)
    notify_bulk([CaseEvent(case.pk, HEARING_CHANGED, h.pk, "v2")])
    night = dt.datetime.combine(timezone.localdate(), dt.time(23, 30), tzinfo=TIJUANA)
    counts = dispatch.send_due(now=night.astimezone(dt.UTC))
    assert counts["sent"] == 1 and counts["deferred"] == 1
    call = Notification.objects.get(channel="voice")
    assert call.status == NotificationStatus.QUEUED and call.attempts == 0
    assert call.send_after.astimezone(TIJUANA).time() == dt.time(7, 0)
    assert call.send_after.astimezone(TIJUANA).date() == night.date() + dt.timedelta(days=1)


def test_report_time_reminder_may_call_at_night(court):
    case = make_case()
    h = make_hearing(case, court, days=3)
    report_3am = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(3, 30),
                                     tzinfo=TIJUANA)
    Hearing.objects.filter(pk=h.pk).update(report_at=report_3am,
                                           starts_at=report_3am + dt.timedelta(hours=4))
    now = report_3am - dt.timedelta(hours=2)
    assert plan_reminders(now=now) >= 2
    counts = dispatch.send_due(now=now)
    voice = Notification.objects.get(channel="voice", event=REMINDER_REPORT)
    assert voice.status == NotificationStatus.SENT and voice.urgent
    assert counts["deferred"] == 0


def test_reminders_are_planned_7_days_and_1_day_before_at_nine(court):
    case = make_case()
    h = make_hearing(case, court, days=10)
    local_day = h.starts_at.astimezone(TIJUANA).date()
    seven = dt.datetime.combine(local_day - dt.timedelta(days=7), dt.time(9), tzinfo=TIJUANA)
    assert plan_reminders(now=seven - dt.timedelta(hours=2)) == 0  # not yet
    assert plan_reminders(now=seven) == 1  # SMS only: a 7-day reminder is not a call
    assert plan_reminders(now=seven) == 0  # idempotent
    one = dt.datetime.combine(local_day - dt.timedelta(days=1), dt.time(9), tzinfo=TIJUANA)
    assert plan_reminders(now=one) == 2  # SMS and a call
    assert set(Notification.objects.values_list("event", flat=True)) == {REMINDER_7D, REMINDER_1D}


def test_reminder_for_a_moved_hearing_is_cancelled_not_sent(court):
    case = make_case()
    h = make_hearing(case, court, days=10)
    local_day = h.starts_at.astimezone(TIJUANA).date()
    seven = dt.datetime.combine(local_day - dt.timedelta(days=7), dt.time(9), tzinfo=TIJUANA)
    plan_reminders(now=seven)
    Hearing.objects.filter(pk=h.pk).update(starts_at=h.starts_at + dt.timedelta(days=30))
    counts = dispatch.send_due(now=seven.astimezone(dt.UTC))
    assert counts["cancelled"] == 1
    assert Notification.objects.get().cancel_reason == "stale"


def test_twilio_backend_with_a_mocked_client(monkeypatch, settings, court):
    from twilio.base.exceptions import TwilioRestException

    settings.GARITA_NOTIFY_PROVIDER = "twilio"
    settings.GARITA_PUBLIC_BASE_URL = "https://garita.example.org"
    settings.TWILIO_FROM_NUMBER = "+16195550100"
    calls = []

    class Messages:
        def __init__(self):
            self.fail = True

        def create(self, **kw):
            calls.append(kw)
            if self.fail:
                self.fail = False
                raise TwilioRestException(503, "uri", "Service unavailable", code=20503)
            return type("M", (), {"sid": "SM123"})()

    class Client:
        messages = Messages()

    monkeypatch.setattr(providers, "twilio_client", lambda: Client())
    case = make_case()
    h = make_hearing(case, court)
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, h.pk, "v1")])
    t = noon().astimezone(dt.UTC)
    assert dispatch.send_due(now=t)["retry"] == 1
    assert dispatch.send_due(now=t + dt.timedelta(minutes=5))["sent"] == 1
    n = Notification.objects.get()
    assert n.provider_message_id == "SM123"
    assert calls[-1]["status_callback"].startswith(
        "https://garita.example.org/hotline/status-callback?n=")
    assert calls[-1]["from_"] == "+16195550100" and calls[-1]["to"] == "+526641234567"


def test_status_callback_marks_delivery_and_never_goes_back(court):
    from tests.integration.hotline.conftest import Twilio

    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    dispatch.send_due(now=noon().astimezone(dt.UTC))
    n = Notification.objects.get()
    tw = Twilio()
    path = f"/hotline/status-callback?n={n.pk}"
    assert tw.post(path, {"MessageSid": "SM1", "MessageStatus": "delivered"}).status_code == 204
    n.refresh_from_db()
    assert n.status == NotificationStatus.DELIVERED and n.delivered_at is not None
    tw.post(path, {"MessageSid": "SM1", "MessageStatus": "sent"})
    n.refresh_from_db()
    assert n.status == NotificationStatus.DELIVERED
    assert tw.post(path, {"MessageStatus": "delivered"}, sign=False).status_code == 403


def test_undelivered_callback_marks_failure(court):
    from tests.integration.hotline.conftest import Twilio

    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    dispatch.send_due(now=noon().astimezone(dt.UTC))
    n = Notification.objects.get()
    Twilio().post(f"/hotline/status-callback?n={n.pk}",
                  {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    n.refresh_from_db()
    assert n.status == NotificationStatus.FAILED and "30003" in n.last_error


def test_email_goes_through_django_mail(make_user, mailoutbox, court):
    case = make_case(phone=None)
    h = make_hearing(case, court)
    rep = make_user("legal_representative", email="rep@example.org")
    Appearance.objects.create(case=case, representative=rep, filed_at=timezone.now())
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, h.pk, "v1")])
    dispatch.send_due(now=noon().astimezone(dt.UTC))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rep@example.org"]
    assert case.a_number[1:4] in mailoutbox[0].body  # the representative sees the A-number


def test_the_task_runs_one_tick(court):
    from garita.notifications.tasks import dispatch_outbox

    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    result = dispatch_outbox.call()
    assert result.get("sent", 0) + result.get("deferred", 0) == 1


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_worker_once_runs_the_queue(court):
    from django.core.management import call_command

    case = make_case()
    notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, None, "v1")])
    call_command("worker", "--once")
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_a_mass_reschedule_of_many_cases_is_one_call(monkeypatch):
    from garita.notifications import services

    monkeypatch.setattr(services, "CHUNK", 3)  # exercise the chunking with few rows
    cases = [make_case(phone=f"+52664555{i:04d}") for i in range(8)]
    events = [CaseEvent(c.pk, HEARING_CHANGED, None, "mass-2020-05-10") for c in cases]
    assert notify_bulk(events) == 16  # an SMS and a call each
    assert notify_bulk(events) == 0
