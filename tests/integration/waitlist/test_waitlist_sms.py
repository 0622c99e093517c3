"""The waitlist slip by SMS: queued in the outbox at registration (never sent in the
request), sent once by the worker with the file provider, in the group's language, and
never queued without a consenting phone or to a number that sent STOP. The PIN is only in
the SMS body: not in the audit log, not in the application's log."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import IntegrityError, transaction

from garita.audit.models import AuditEvent
from garita.core.errors import DomainError
from garita.notifications import dispatch
from garita.notifications.models import Notification, NotificationStatus, OptOut
from garita.notifications.services import record_opt_out, waitlist_language
from garita.waitlist.models import Group
from garita.waitlist.services import MemberIn, register_group

pytestmark = pytest.mark.django_db

PHONE = "+526641112233"


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.GARITA_OUTBOX_DIR = tmp_path / "outbox"
    settings.GARITA_NOTIFY_PROVIDER = "file"
    settings.GARITA_PUBLIC_BASE_URL = "https://garita.example.org"


def _files(settings) -> list:
    d = settings.GARITA_OUTBOX_DIR / "sms"
    return sorted(d.glob("*.json")) if d.exists() else []


def _family(languages: tuple[str, ...] = ("spa",)) -> list[MemberIn]:
    return [MemberIn("Rosa", "Mejía", "HND", None, languages),
            MemberIn("Kevin", "Mejía", "HND", None, ("spa",))]


def test_registration_queues_the_pin_sms_and_the_worker_sends_it_once(
        officer, settings, caplog):
    caplog.set_level(logging.DEBUG)
    reg = register_group(actor=officer, port="san-ysidro", members=_family(("eng", "spa")),
                         contact="664 111 2233", sms_consent=True)
    n = Notification.objects.get()
    assert n.waitlist_group_id == reg.group.pk and n.case_id is None
    assert n.to_address == PHONE and reg.group.contact == PHONE  # stored as E.164
    assert n.status == NotificationStatus.QUEUED and n.language == "en"
    assert _files(settings) == []  # queued, not sent, by the registration
    first = dispatch.tick()
    assert first["sent"] == 1
    second = dispatch.tick()
    assert second.get("sent", 0) == 0
    files = _files(settings)
    assert len(files) == 1
    sent = json.loads(files[0].read_text())
    assert sent["to"] == PHONE
    assert f"number {reg.group.number} " in sent["text"] and reg.pin in sent["text"]
    assert "LIST san-ysidro" in sent["text"]
    assert "https://garita.example.org/waitlist/san-ysidro/position/" in sent["text"]
    assert "Rosa" not in sent["text"] and "Mej" not in sent["text"]
    n.refresh_from_db()
    assert n.status == NotificationStatus.SENT and n.attempts == 1
    # Once sent, the outbox keeps the text with the PIN masked: no PIN is left behind.
    assert reg.pin not in n.body and "*" * len(reg.pin) in n.body
    assert f"number {reg.group.number} " in n.body
    # The PIN is in the SMS only: never in an audit value nor in a log line.
    for ev in AuditEvent.objects.all():
        assert reg.pin not in json.dumps([ev.old, ev.new, ev.object_id], default=str)
    assert reg.pin not in caplog.text
    audit = AuditEvent.objects.get(action="waitlist.register")
    assert audit.new["sms_queued"] is True


def test_the_sms_speaks_the_groups_language_else_spanish(officer, settings):
    register_group(actor=officer, port="san-ysidro", members=_family(("hat",)),
                   contact=PHONE, sms_consent=True)
    register_group(actor=officer, port="san-ysidro",
                   members=[MemberIn("Ana", "Quiché", "GTM", None, ("quc",))],
                   contact="+526641112299", sms_consent=True)
    dispatch.tick()
    texts = {json.loads(f.read_text())["to"]: json.loads(f.read_text())["text"]
             for f in _files(settings)}
    assert "gwoup ou" in texts[PHONE].lower()  # Haitian Creole
    assert "su grupo" in texts["+526641112299"].lower()  # K'iche' has no text: Spanish


@pytest.mark.parametrize("languages, expected", [
    ((("por",),), "pt"), ((("quc",), ("eng",)), "en"), ((("quc",),), "es"), (((),), "es"),
    ((("HT",),), "ht"),
])
def test_waitlist_language(languages, expected):
    assert waitlist_language(languages) == expected


def test_no_sms_without_a_phone_or_without_consent(officer):
    register_group(actor=officer, port="san-ysidro", members=_family())
    register_group(actor=officer, port="san-ysidro",
                   members=[MemberIn("Luis", "Pérez", "SLV")], contact=PHONE)
    assert Notification.objects.count() == 0
    assert AuditEvent.objects.filter(action="waitlist.register").count() == 2


@pytest.mark.parametrize("contact", ["", "not a phone", "123"])
def test_consent_needs_a_real_phone_and_nothing_is_written(officer, contact):
    with pytest.raises(DomainError) as exc:
        register_group(actor=officer, port="san-ysidro", members=_family(), contact=contact,
                       sms_consent=True)
    assert exc.value.code == "contact.phone_invalid" and exc.value.status < 500
    assert Group.objects.count() == 0 and Notification.objects.count() == 0


def test_an_opted_out_number_gets_nothing(officer, settings):
    record_opt_out(address=PHONE, source="hotline:sms")
    reg = register_group(actor=officer, port="san-ysidro", members=_family(), contact=PHONE,
                         sms_consent=True)
    assert Notification.objects.count() == 0
    assert AuditEvent.objects.get(action="waitlist.register").new["sms_queued"] is False
    assert reg.pin  # the slip still has it
    dispatch.tick()
    assert _files(settings) == []


def test_stop_after_queueing_cancels_it(officer, settings):
    register_group(actor=officer, port="san-ysidro", members=_family(), contact=PHONE,
                   sms_consent=True)
    OptOut.objects.create(address=PHONE, opted_out_at=Notification.objects.get().created_at)
    counts = dispatch.tick()  # the opt-out list is checked again at send time
    assert counts.get("cancelled") == 1 and _files(settings) == []
    assert Notification.objects.get().cancel_reason == "opted_out"


def test_a_retried_send_goes_through_backoff_and_is_sent_once(officer, settings, monkeypatch):
    from garita.notifications import providers

    register_group(actor=officer, port="san-ysidro", members=_family(), contact=PHONE,
                   sms_consent=True)
    real = providers.FileProvider.send
    calls = {"n": 0}

    def flaky(self, msg):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise providers.ProviderError("busy", retryable=True, code="503")
        return real(self, msg)

    monkeypatch.setattr(providers.FileProvider, "send", flaky)
    assert dispatch.tick()["retry"] == 1
    n = Notification.objects.get()
    assert n.status == NotificationStatus.QUEUED and n.send_after > n.created_at
    assert dispatch.tick(now=n.send_after)["sent"] == 1
    assert len(_files(settings)) == 1


def test_a_notification_points_to_exactly_one_case_or_group(officer):
    reg = register_group(actor=officer, port="san-ysidro", members=_family(), contact=PHONE,
                         sms_consent=True)
    n = Notification.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.filter(pk=n.pk).update(waitlist_group=None)
    from tests.factories import make_case

    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.filter(pk=n.pk).update(case=case)
    assert Notification.objects.get().waitlist_group_id == reg.group.pk


def test_the_staff_page_queues_but_does_not_send(officer, client, settings):
    client.force_login(officer)
    r = client.post("/waitlist/staff/san-ysidro/register/", {
        "given_0": "Rosa", "surname_0": "Mejía", "nationality_0": "HND",
        "contact": PHONE, "sms_consent": "1"})
    assert r.status_code == 200
    pin = re.search(r'id="wl-slip-pin">(\d+)<', r.content.decode()).group(1)
    assert Notification.objects.get().status == NotificationStatus.QUEUED
    assert _files(settings) == []
    dispatch.tick()
    assert pin in json.loads(_files(settings)[0].read_text())["text"]
    bad = client.post("/waitlist/staff/san-ysidro/register/", {
        "given_0": "Luis", "surname_0": "Pérez", "nationality_0": "SLV",
        "contact": "nope", "sms_consent": "1"})
    assert bad.status_code == 400 and Group.objects.count() == 1


def test_the_admin_does_not_show_the_pin(officer, client, django_user_model):
    reg = register_group(actor=officer, port="san-ysidro", members=_family(), contact=PHONE,
                         sms_consent=True)
    admin = django_user_model.objects.create_superuser(
        username="root-wlsms", email="root@example.org", password="x-very-long-passw0rd")
    client.force_login(admin)
    n = Notification.objects.get()
    page = client.get(f"/admin/notifications/notification/{n.pk}/change/")
    assert page.status_code == 200 and "waitlist_registered" in page.content.decode()
    assert reg.pin not in page.content.decode()


def test_the_api_takes_the_consent_and_refuses_a_bad_phone(officer, api_client_for):
    c = api_client_for(officer)
    member = {"given_names": "Ana", "surnames": "Cruz", "nationality": "SLV",
              "languages": ["por"]}
    bad = c.post("/api/v1/waitlist/san-ysidro/groups",
                 {"members": [member], "contact": "abc", "sms_consent": True},
                 content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "contact.phone_invalid"
    assert not Group.objects.exists() and not Notification.objects.exists()
    ok = c.post("/api/v1/waitlist/san-ysidro/groups",
                {"members": [member], "contact": PHONE, "sms_consent": True},
                content_type="application/json")
    assert ok.status_code == 201
    n = Notification.objects.get()
    assert n.language == "pt" and ok.json()["pin"] in n.body and "FILA san-ysidro" in n.body
