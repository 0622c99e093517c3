"""The look-up reads the case fresh every time: a moved hearing is never read back stale.

The fast look-up path reads the case, its hearings, their court, place and port and the
throttle state in one statement, and caches only the statistics forecast. These tests warm
every cache with a first look-up, change the data the way the hearings services do (plain
UPDATEs), and check the very next look-up on the web page and on the phone.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from garita.hearings.models import Hearing
from garita.hotline import render, services
from garita.hotline.models import LookupThrottle
from garita.hotline.services import Outcome
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing, next_action, spoken

pytestmark = pytest.mark.django_db


def _date_words(at: dt.datetime, lang: str) -> str:
    with translation.override(lang):
        return render.fmt_when(at, "America/Los_Angeles")[0]


def _status(client, case):
    return client.post("/status", {"a_number": case.a_number, "pin": case.pin},
                       REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def _call(twilio, case):
    root = twilio.twiml("/hotline/voice/language", {"Digits": "1"})
    root = twilio.twiml(next_action(root), {"Digits": case.a_number[1:]})
    return spoken(twilio.twiml(next_action(root), {"Digits": case.pin, "From": "+5266400009"}))


def test_a_rescheduled_hearing_shows_in_the_very_next_web_lookup(client, court):
    case = make_case()
    h = make_hearing(case, court, days=20)
    old_day = _date_words(h.starts_at, "en")
    assert old_day in _status(client, case)
    new_start = h.starts_at + dt.timedelta(days=33)
    Hearing.objects.filter(pk=h.pk).update(starts_at=new_start,
                                           report_at=new_start - dt.timedelta(hours=4))
    html = _status(client, case)
    assert _date_words(new_start, "en") in html
    assert old_day not in html


def test_a_rescheduled_hearing_shows_in_the_very_next_call(twilio, court):
    case = make_case()
    h = make_hearing(case, court, days=12)
    assert _date_words(h.starts_at, "en") in _call(twilio, case)
    new_start = h.starts_at + dt.timedelta(days=9, hours=2)
    Hearing.objects.filter(pk=h.pk).update(starts_at=new_start,
                                           report_at=new_start - dt.timedelta(hours=4))
    text = _call(twilio, case)
    assert _date_words(new_start, "en") in text
    assert _date_words(h.starts_at, "en") not in text


def test_a_cancelled_hearing_is_not_read_back(client, court):
    case = make_case()
    h = make_hearing(case, court, days=15)
    assert "Your next hearing is on" in _status(client, case)
    Hearing.objects.filter(pk=h.pk).update(status="cancelled")
    html = _status(client, case)
    assert "Your next hearing is on" not in html
    assert "No hearing is scheduled" in html


def test_a_moved_courtroom_and_new_legal_providers_show_at_once(client, court):
    c, loc = court
    case = make_case()
    make_hearing(case, court)
    assert "401 West A Street" in _status(client, case)
    loc.address = "333 South Miller Street\nSan Diego, CA"
    loc.save()
    c.legal_service_providers = [{"name": "Casa Cornelia", "phone": "+16192318400"}]
    c.save()
    html = _status(client, case)
    assert "333 South Miller Street" in html and "401 West A Street" not in html
    assert "Casa Cornelia" in html and "Al Otro Lado" not in html


def test_a_mass_reschedule_flag_adds_the_out_of_date_note_at_once(client, court):
    from garita.intake.models import Case

    case = make_case()
    make_hearing(case, court)
    assert "may be out of date" not in _status(client, case)
    Case.objects.filter(pk=case.pk).update(info_changed_at=timezone.now())
    assert "may be out of date" in _status(client, case)


def test_a_successful_lookup_is_one_read_and_one_insert(court):
    case = make_case()
    make_hearing(case, court)
    services.lookup(a_number=case.a_number, pin=case.pin, channel="web", ip="198.51.100.1")
    with CaptureQueriesContext(connection) as ctx:
        result = services.lookup(a_number=case.a_number, pin=case.pin, channel="web",
                                 ip="198.51.100.1")
    assert result.outcome == Outcome.FOUND and result.snapshot.next_hearing is not None
    sql = [q["sql"].split(None, 1)[0].upper() for q in ctx.captured_queries]
    if connection.vendor == "postgresql":
        # The registration+case+hearings read, the give-back+audit insert.
        assert sql == ["WITH", "WITH"]
    else:
        # SQLite has no data-modifying WITH: the registration (committed on its own, before
        # the PIN is compared), the read, then the audit insert and the give-back in one
        # transaction (a savepoint here, inside the test's transaction).
        assert sql == ["INSERT", "SELECT", "SAVEPOINT", "INSERT", "UPDATE", "RELEASE"]


@pytest.mark.parametrize("scope, value", [("ip", "198.51.100.2"), ("anumber", None),
                                          ("caller", "+5266400001")])
def test_a_locked_key_refuses_even_the_right_pin(court, scope, value):
    case = make_case()
    make_hearing(case, court)
    value = value or case.a_number
    LookupThrottle.objects.create(scope=scope, key_digest=services._key(scope, value),
                                  failures=5,
                                  locked_until=timezone.now() + dt.timedelta(minutes=10))
    result = services.lookup(a_number=case.a_number, pin=case.pin, channel="voice",
                             caller="+5266400001", ip="198.51.100.2")
    assert result.outcome == Outcome.LOCKED and result.snapshot is None


def test_an_expired_lock_no_longer_refuses(court):
    case = make_case()
    make_hearing(case, court)
    LookupThrottle.objects.create(scope="ip", key_digest=services._key("ip", "198.51.100.3"),
                                  failures=5,
                                  locked_until=timezone.now() - dt.timedelta(minutes=1))
    result = services.lookup(a_number=case.a_number, pin=case.pin, channel="web",
                             ip="198.51.100.3")
    assert result.outcome == Outcome.FOUND


def test_success_clears_the_anumber_counter_but_not_the_ips(court):
    case = make_case()
    make_hearing(case, court)
    ip = "198.51.100.4"
    for _ in range(2):
        assert services.lookup(a_number=case.a_number, pin="000000" if case.pin != "000000"
                               else "111111", channel="web", ip=ip).outcome == Outcome.FAILED
    assert services.lookup(a_number=case.a_number, pin=case.pin, channel="web",
                           ip=ip).outcome == Outcome.FOUND
    rows = dict(LookupThrottle.objects.values_list("scope", "failures"))
    assert rows["anumber"] == 0 and rows["ip"] == 2


def test_an_unknown_anumber_and_a_wrong_pin_read_the_same(court):
    case = make_case()
    make_hearing(case, court)
    wrong = services.lookup(a_number=case.a_number, pin="999999" if case.pin != "999999"
                            else "888888", channel="web", ip="198.51.100.5")
    unknown = services.lookup(a_number="A099999999", pin=case.pin, channel="web",
                              ip="198.51.100.6")
    assert wrong == unknown == services.LookupResult(Outcome.FAILED)


def test_twiml_is_serialised_exactly_as_the_twilio_library_does():
    from twilio.twiml.voice_response import VoiceResponse

    from garita.hotline.twiml import Response
    from garita.hotline.voice import twiml

    ours, theirs = Response(), VoiceResponse()
    for r in (ours, theirs):
        g = r.gather(num_digits=1, action="/hotline/voice/repeat?lang=pt&t=a<b>&c",
                     method="POST")
        g.say('Olá & <adeus> "ñ" Kreyòl', language="pt-BR")
        r.hangup()
    resp = twiml(ours)
    assert resp.content.decode("utf-8") == str(theirs)
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
