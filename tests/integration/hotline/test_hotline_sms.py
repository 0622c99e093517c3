"""SMS keywords in four languages, any A-number format, STOP/START, and bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from garita.hotline.domain import sms_segments, to_gsm
from garita.intake.models import ContactPoint
from garita.notifications.models import Notification, NotificationStatus, OptOut
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing

pytestmark = pytest.mark.django_db

PHONE = "+526641112233"


def reply(twilio, body: str, sender: str = PHONE) -> str:
    resp = twilio.post("/hotline/sms", {"Body": body, "From": sender, "To": "+16195550100"})
    assert resp.status_code == 200
    root = ET.fromstring(resp.content)
    msg = root.find("Message")
    assert msg is not None
    return msg.text or ""


def test_unsigned_sms_is_refused(twilio):
    assert twilio.post("/hotline/sms", {"Body": "HELP"}, sign=False).status_code == 403


@pytest.mark.parametrize("word, expected", [
    ("STATUS", "Your next hearing is on"),
    ("ESTADO", "Su próxima audiencia es el"),
    ("estado", "Su próxima audiencia es el"),
    ("SITUACAO", "Sua próxima audiência é em"),
    ("ESTATI", "Pwochen odyans ou se"),
])
def test_status_keyword_answers_in_its_language(twilio, court, word, expected):
    case = make_case()
    make_hearing(case, court)
    text = reply(twilio, f"{word} {case.a_number} {case.pin}")
    assert to_gsm(expected) in text
    assert "María" not in text and "Honduras" not in text
    assert sms_segments(text) <= 4


@pytest.mark.parametrize("fmt", ["{a}", "{d}", "A-{d3}-{d6}-{d9}", "a {d}", "A {d3} {d6} {d9}"])
def test_any_anumber_format_is_understood(twilio, court, fmt):
    case = make_case()
    make_hearing(case, court)
    d = case.a_number[1:]
    a = fmt.format(a=case.a_number, d=d, d3=d[:3], d6=d[3:6], d9=d[6:], d8=d[1:])
    text = reply(twilio, f"ESTADO {a} {case.pin}")
    assert "Su proxima audiencia" in text.replace("ó", "o"), text


def test_anumber_and_pin_alone_are_a_status_request(twilio, court):
    case = make_case()
    make_hearing(case, court)
    assert "Caso A***-***-" in reply(twilio, f"{case.a_number} {case.pin}")


def test_wrong_pin_and_unknown_anumber_get_the_same_reply(twilio):
    case = make_case()
    a = reply(twilio, f"ESTADO {case.a_number} 999999", sender="+521")
    b = reply(twilio, "ESTADO A987654321 999999", sender="+522")
    assert a == b and "No encontramos un caso" in a


@pytest.mark.parametrize("word, lang_marker", [
    ("HELP", "Send STATUS"), ("AYUDA", "Envie ESTADO"), ("AJUDA", "Envie SITUACAO"),
    ("ÈD", "Voye ESTATI"), ("ED", "Voye ESTATI"),
])
def test_help_in_each_language(twilio, word, lang_marker):
    text = reply(twilio, word)
    assert lang_marker in text
    assert sms_segments(text) <= 4


@pytest.mark.parametrize("body", [
    "hola 😀😀😀", "🙏", "x" * 2000, "¿Cuándo es mi cita?", "\x00\x01", "   ",
    "STATUS", "ESTADO 😀 123", "ESTADO A12 123456",
])
def test_unknown_or_odd_messages_get_a_helpful_reply_never_an_error(twilio, body):
    text = reply(twilio, body)
    assert text
    assert "Traceback" not in text
    assert sms_segments(text) <= 4


def test_unknown_keyword_uses_the_language_on_file_for_that_number(twilio):
    make_case(languages=["por"], phone=PHONE)
    assert "Nao entendemos" in reply(twilio, "oi")


def test_missing_pin_asks_for_it(twilio):
    text = reply(twilio, "ESTADO A234567890")
    assert "Envie su numero A y su PIN" in text.replace("í", "i").replace("ú", "u") \
        or "Envíe su número A y su PIN" in text


def test_pin_of_wrong_length_is_explained(twilio):
    case = make_case()
    assert "El PIN tiene 6" in reply(twilio, f"ESTADO {case.a_number} 12345678")


def test_stop_opts_out_everywhere_and_cancels_queued_messages(twilio):
    from garita.notifications.services import HEARING_SCHEDULED, CaseEvent, notify_bulk

    c1 = make_case(phone=PHONE)
    c2 = make_case(phone=PHONE)
    notify_bulk([CaseEvent(c1.pk, HEARING_SCHEDULED, version="v1"),
                 CaseEvent(c2.pk, HEARING_SCHEDULED, version="v1")])
    assert Notification.objects.filter(status=NotificationStatus.QUEUED).count() == 2
    text = reply(twilio, "ALTO")
    assert "Ya no recibira" in text.replace("á", "a")
    assert OptOut.objects.filter(address=PHONE).exists()
    assert not ContactPoint.objects.filter(value=PHONE, opted_out_at__isnull=True).exists()
    assert not Notification.objects.filter(status=NotificationStatus.QUEUED).exists()
    # nothing new is queued for that number afterwards
    assert notify_bulk([CaseEvent(c1.pk, HEARING_SCHEDULED, version="v2")]) == 0


@pytest.mark.parametrize("word", ["STOP", "PARAR", "KANPE", "stop"])
def test_stop_words_in_every_language(twilio, word):
    make_case(phone=PHONE)
    reply(twilio, word)
    assert OptOut.objects.filter(address=PHONE).exists()


def test_start_undoes_stop(twilio):
    from garita.notifications.services import HEARING_SCHEDULED, CaseEvent, notify_bulk

    case = make_case(phone=PHONE)
    reply(twilio, "STOP")
    assert "again" in reply(twilio, "START")
    assert not OptOut.objects.filter(address=PHONE).exists()
    assert notify_bulk([CaseEvent(case.pk, HEARING_SCHEDULED, version="v3")]) == 1


def test_subscribe_adds_this_number_for_reminders(twilio, court):
    case = make_case(phone=None)
    text = reply(twilio, f"RECORDAR {case.a_number} {case.pin}", sender="+526649998877")
    assert "recordatorios" in text
    cp = ContactPoint.objects.get(case=case)
    assert cp.value == "+526649998877" and cp.consent_sms


def test_whatsapp_sender_is_understood(twilio, court):
    case = make_case()
    make_hearing(case, court)
    text = reply(twilio, f"STATUS {case.a_number} {case.pin}", sender="whatsapp:+526641234567")
    assert "Your next hearing" in text


def test_sms_without_body_or_from_is_answered(twilio):
    resp = twilio.post("/hotline/sms", {})
    assert resp.status_code == 200 and b"<Message>" in resp.content



@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=2000), sender=st.text(max_size=40))
def test_any_body_from_anyone_gets_twiml_never_an_error(twilio, body, sender):
    resp = twilio.post("/hotline/sms", {"Body": body, "From": sender})
    assert resp.status_code == 200
    root = ET.fromstring(resp.content)
    assert root.find("Message") is not None
