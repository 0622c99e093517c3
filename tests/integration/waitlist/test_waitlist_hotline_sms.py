"""Checking a waitlist place by SMS: `LISTA <port> <number> <PIN>` on the hotline's signed
webhook, in four languages, with the web check's answer and its wrong-PIN rules."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from garita.audit.models import AuditEvent
from garita.hotline.domain import parse_sms, to_gsm
from garita.hotline.waitlist_sms import _ranges, parse_waitlist_query
from garita.waitlist import selectors, services
from tests.integration.hotline.conftest import TOKEN, Twilio

pytestmark = pytest.mark.django_db

PHONE = "+526641112233"


@pytest.fixture(autouse=True)
def _twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.GARITA_HOTLINE_VALIDATE_SIGNATURE = True
    settings.GARITA_PUBLIC_BASE_URL = ""


@pytest.fixture
def twilio():
    return Twilio()


def reply(twilio, body: str, sender: str = PHONE) -> str:
    resp = twilio.post("/hotline/sms", {"Body": body, "From": sender, "To": "+16195550100"})
    assert resp.status_code == 200
    msg = ET.fromstring(resp.content).find("Message")
    assert msg is not None
    return msg.text or ""


@pytest.fixture
def lista(register, officer):
    """Six groups of one; #1-#2 called yesterday, #3 today; #4-#6 waiting."""
    regs = [register(1) for _ in range(6)]
    services.call_next(actor=officer, port="san-ysidro", capacity=2,
                       at=timezone.now() - dt.timedelta(days=1))
    services.set_capacity(actor=officer, port="san-ysidro", persons=1)
    services.call_next(actor=officer, port="san-ysidro")
    return regs


def test_lista_gives_the_web_checks_answer_in_spanish(twilio, lista):
    six = lista[5]
    text = reply(twilio, f"LISTA san-ysidro 6 {six.pin}")
    est = selectors.estimate("san-ysidro", 6)
    assert est["groups_ahead"] == 2 and est["earliest"]
    assert to_gsm("Lista de espera de San Ysidro: número 6 (1 personas).") in text
    assert to_gsm("En espera: 2 grupos (2 personas) antes que usted.") in text
    assert est["earliest"] in text and est["latest"] in text
    assert "Llamados hoy: 3." in text
    assert "Persona" not in text and "Apellido" not in text and six.pin not in text


@pytest.mark.parametrize("word, marker", [
    ("LIST", "Waiting: 2 groups"), ("lista", "En espera: 2 grupos"),
    ("TURNO", "En espera: 2 grupos"), ("FILA", "Aguardando: 2 grupos"),
    ("LIS", "Ap tann: 2 gwoup"), ("Lis", "Ap tann: 2 gwoup"),
])
def test_the_keyword_sets_the_language(twilio, lista, word, marker):
    assert marker in reply(twilio, f"{word} san-ysidro 6 {lista[5].pin}")


@pytest.mark.parametrize("port", ["SAN-YSIDRO", "San Ysidro", "sanysidro", ""])
def test_the_port_by_slug_or_name_and_optional_with_one_waitlist(twilio, lista, port):
    text = reply(twilio, f"LIST {port} 6 {lista[5].pin}".replace("  ", " "))
    assert "Waitlist at San Ysidro: number 6" in text


def test_without_a_port_when_two_ports_have_a_list(twilio, lista, register):
    register(1, port="calexico")
    text = reply(twilio, f"LISTA 1 {lista[0].pin}")
    assert "Indique el puerto." in text and "calexico" in text and "san-ysidro" in text


def test_a_called_number_and_todays_numbers(twilio, lista):
    text = reply(twilio, f"LIST san-ysidro 3 {lista[2].pin}")
    assert "CALLED: present yourself at the port now." in text and "Called today: 3." in text


def test_wrong_pin_and_unknown_number_get_the_same_answer_and_are_audited(twilio, lista):
    a = reply(twilio, "LISTA san-ysidro 6 000000", sender="+5211")
    b = reply(twilio, "LISTA san-ysidro 999 000000", sender="+5212")
    assert a == b == to_gsm("El número o el PIN no son correctos.")
    assert AuditEvent.objects.filter(action="waitlist.pin_failed").count() == 2
    assert PHONE not in str(list(AuditEvent.objects.values_list("new", flat=True)))


def test_five_wrong_pins_stop_this_phone_only(twilio, lista):
    pin = lista[5].pin
    for _ in range(5):
        reply(twilio, "LIST san-ysidro 6 000000")
    text = reply(twilio, f"LIST san-ysidro 6 {pin}")  # even the right PIN, from this phone
    assert "Too many wrong PINs" in text
    assert "Waiting: 2 groups" in reply(twilio, f"LIST san-ysidro 6 {pin}", sender="+5213")
    # the web check is the same service: its client (an IP) is not affected either
    web = Client().post("/waitlist/san-ysidro/position/", {"number": "6", "pin": pin})
    assert web.status_code == 200


def test_many_phones_guessing_slow_the_number_down(twilio, lista):
    for i in range(services.PIN_SLOWDOWN_AFTER):
        reply(twilio, "LIST san-ysidro 6 000000", sender=f"+52199{i:04d}")
    text = reply(twilio, f"LIST san-ysidro 6 {lista[5].pin}", sender="+5214")
    assert "slowed down" in text and "seconds" in text


@pytest.mark.parametrize("body, marker", [
    ("LISTA", "Envie LISTA, el puerto, su numero y su PIN"),
    ("LISTA san-ysidro", "Envie LISTA, el puerto"),
    ("LISTA san-ysidro 6", "Envie LISTA, el puerto"),
    ("LISTA san-ysidro seis 123456", "Envie LISTA, el puerto"),
    ("LISTA san-ysidro 6 １２３４５６", "Envie LISTA, el puerto"),
    ("LISTA san-ysidro 99999999999999999999 123456", "Envie LISTA, el puerto"),
    ("LISTA tijuana 6 123456", 'No hay lista de espera en un puerto llamado "tijuana".'),
    ("FILA nowhere 6 123456", "Nao ha lista de espera"),
    ("LIS", "Voye LIS, pò a"),
])
def test_malformed_or_unknown_port_gets_help_never_an_error(twilio, lista, body, marker):
    text = reply(twilio, body)
    assert marker in text.replace("ú", "u").replace("í", "i"), text
    assert "san-ysidro" in text  # the ports that have a list, or the example


def test_help_mentions_the_waitlist(twilio):
    assert "Lista de espera: envie LISTA" in reply(twilio, "AYUDA").replace("í", "i")


def test_parsing_is_pure():
    assert parse_sms("TURNO san-ysidro 12 123456").kind == "waitlist"
    assert parse_sms("LISTA 12 123456").rest == "12 123456"
    assert parse_sms("ESTADO A234567890 123456").kind == "status"  # no collision
    q = parse_waitlist_query("San Ysidro, 0012 123456")
    assert q is not None and (q.port, q.number, q.pin) == ("San Ysidro", "12", "123456")
    assert parse_waitlist_query("12") is None
    assert _ranges([9, 3, 4, 5, 11, 12]) == "3-5, 9, 11-12"


@given(rest=st.text(max_size=80))
@hsettings(max_examples=200)
def test_the_query_parser_never_raises(rest):
    q = parse_waitlist_query(rest)
    if q is not None:
        assert q.number.isdigit() and q.pin.isdigit() and len(q.number) <= 9


@given(rest=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_lista_message_gets_a_reply_never_an_error(twilio, lista, rest):
    from django.utils import translation

    from garita.hotline.render import sms_text

    with translation.override("es"):
        apology = sms_text("error")
    text = reply(twilio, f"LISTA {rest}", sender="+5215")
    assert text and "Persona" not in text and text != apology
