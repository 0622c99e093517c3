"""The phone menu end to end, with signed requests and parsed TwiML: every language,
every branch, every wrong entry."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from garita.audit.models import AuditEvent, UnsealedEvent
from garita.audit.services import seal
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing, next_action, says, spoken

pytestmark = pytest.mark.django_db

LANGS = {"1": ("en", "en-US", "Your next hearing is on"),
         "2": ("es", "es-MX", "Su próxima audiencia es el"),
         "3": ("pt", "pt-BR", "Sua próxima audiência é em"),
         "4": ("ht", "fr-FR", "Pwochen odyans ou se")}


def _to_pin_step(twilio, digit: str, a_number: str):
    root = twilio.twiml("/hotline/voice")
    root = twilio.twiml(next_action(root), {"Digits": digit, "From": "+5266400000" + digit})
    return twilio.twiml(next_action(root), {"Digits": a_number[1:], "From": "+526640000000"})


def test_unsigned_request_is_refused_with_403(twilio):
    assert twilio.post("/hotline/voice", sign=False).status_code == 403


def test_request_signed_with_another_token_is_refused(twilio):
    assert twilio.post("/hotline/voice", {"From": "+1"}, token="wrong").status_code == 403


def test_tampered_parameters_break_the_signature(twilio):
    from twilio.request_validator import RequestValidator

    from garita.core.testing import GaritaClient as Client
    from tests.integration.hotline.conftest import TOKEN

    sig = RequestValidator(TOKEN).compute_signature(
        "http://testserver/hotline/voice/pin?lang=es&a=A200000001&tries=0", {"Digits": "123456"})
    resp = Client().post("/hotline/voice/pin?lang=es&a=A200000002&tries=0", {"Digits": "123456"},
                         HTTP_X_TWILIO_SIGNATURE=sig)
    assert resp.status_code == 403


def test_validation_can_be_switched_off_for_development_only(twilio, settings):
    settings.GARITA_HOTLINE_VALIDATE_SIGNATURE = False
    assert twilio.post("/hotline/voice", sign=False).status_code == 200


def test_missing_auth_token_refuses_everything(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio.post("/hotline/voice").status_code == 403


def test_public_base_url_is_what_the_signature_covers(twilio, settings):
    from twilio.request_validator import RequestValidator

    from garita.core.testing import GaritaClient as Client
    from tests.integration.hotline.conftest import TOKEN

    settings.GARITA_PUBLIC_BASE_URL = "https://garita.example.org"
    sig = RequestValidator(TOKEN).compute_signature("https://garita.example.org/hotline/voice", {})
    assert Client().post("/hotline/voice", HTTP_X_TWILIO_SIGNATURE=sig).status_code == 200
    assert twilio.post("/hotline/voice").status_code == 403  # signed for http://testserver


def test_forwarded_proto_is_honoured_only_when_trusted(settings):
    from twilio.request_validator import RequestValidator

    from garita.core.testing import GaritaClient as Client
    from tests.integration.hotline.conftest import TOKEN

    sig = RequestValidator(TOKEN).compute_signature("https://testserver/hotline/voice", {})
    c = Client()
    assert c.post("/hotline/voice", HTTP_X_TWILIO_SIGNATURE=sig,
                  HTTP_X_FORWARDED_PROTO="https").status_code == 403
    settings.GARITA_HOTLINE_TRUST_FORWARDED_PROTO = True
    assert c.post("/hotline/voice", HTTP_X_TWILIO_SIGNATURE=sig,
                  HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_a_signature_over_the_url_with_its_default_port_is_accepted(settings):
    """The exact URL is checked first (one HMAC); the twilio library's port variants are the
    fall-back, so a provider that signs http://host:80/... is still accepted."""
    from twilio.request_validator import RequestValidator

    from garita.core.testing import GaritaClient as Client
    from tests.integration.hotline.conftest import TOKEN

    params = {"Digits": "2", "From": "+526641234567"}
    c = Client()
    for url in ("http://testserver/hotline/voice/language",
                "http://testserver:80/hotline/voice/language"):
        sig = RequestValidator(TOKEN).compute_signature(url, params)
        assert c.post("/hotline/voice/language", params,
                      HTTP_X_TWILIO_SIGNATURE=sig).status_code == 200
    wrong = RequestValidator(TOKEN).compute_signature(
        "http://testserver:8080/hotline/voice/language", params)
    assert c.post("/hotline/voice/language", params,
                  HTTP_X_TWILIO_SIGNATURE=wrong).status_code == 403


@pytest.mark.parametrize("signature", ["ñandú==", "\u00e9" * 30, "x" * 5000, " "])
def test_a_malformed_signature_header_is_refused_not_a_crash(twilio, signature):
    from garita.core.testing import GaritaClient as Client

    resp = Client().post("/hotline/voice", HTTP_X_TWILIO_SIGNATURE=signature)
    assert resp.status_code == 403


def test_get_is_not_allowed(twilio):
    assert twilio.client.get("/hotline/voice").status_code == 405


def test_menu_offers_each_language_in_its_own_voice(twilio):
    root = twilio.twiml("/hotline/voice")
    g = root.find("Gather")
    assert g.get("numDigits") == "1"
    voices = [s.get("language") for s in g.iter("Say")]
    assert voices == ["en-US", "es-MX", "pt-BR", "fr-FR"]
    texts = says(g)
    assert "English" in texts[0] and "español" in texts[1] and "português" in texts[2]
    assert "kreyòl" in texts[3].lower()


@pytest.mark.parametrize("digit", list(LANGS))
def test_whole_call_in_each_language_reads_the_next_hearing(twilio, court, digit):
    code, voice_lang, phrase = LANGS[digit]
    case = make_case()
    make_hearing(case, court)
    root = _to_pin_step(twilio, digit, case.a_number)
    assert root.find("Gather").get("numDigits") == "6"
    root = twilio.twiml(next_action(root), {"Digits": case.pin, "From": "+526640000001"})
    text = spoken(root)
    assert phrase in text
    assert "401 West A Street" in text
    assert "San Ysidro" in text
    assert {s.get("language") for s in root.iter("Say")} == {voice_lang}
    assert "María" not in text and "Núñez" not in text and "HND" not in text
    assert root.find("Hangup") is not None
    pending = UnsealedEvent.objects.filter(action="hotline.lookup", object_id=str(case.pk))
    assert pending.count() == 1
    seal()
    assert AuditEvent.objects.filter(action="hotline.lookup", object_id=str(case.pk)).count() == 1
    # 1 repeats the answer without asking for the PIN again
    again = twilio.twiml(next_action(root), {"Digits": "1"})
    assert phrase in spoken(again)


def test_prompts_are_really_translated(twilio):
    root = twilio.twiml("/hotline/voice/language", {"Digits": "2"})
    assert "Ingrese su número A de nueve dígitos" in spoken(root)
    root = twilio.twiml("/hotline/voice/language", {"Digits": "3"})
    assert "Digite o seu número A" in spoken(root)
    root = twilio.twiml("/hotline/voice/language", {"Digits": "4"})
    assert "Tape nimewo A ou" in spoken(root)


def test_any_other_key_after_the_answer_says_goodbye(twilio, court):
    case = make_case()
    make_hearing(case, court)
    root = _to_pin_step(twilio, "2", case.a_number)
    root = twilio.twiml(next_action(root), {"Digits": case.pin})
    end = twilio.twiml(next_action(root), {"Digits": "9"})
    assert "Adiós" in spoken(end) and end.find("Hangup") is not None


def test_forged_repeat_token_says_goodbye(twilio):
    end = twilio.twiml("/hotline/voice/repeat?lang=es&t=forged", {"Digits": "1"})
    assert end.find("Hangup") is not None and "audiencia" not in spoken(end)


def test_wrong_menu_digit_three_times_ends_politely(twilio):
    root = twilio.twiml("/hotline/voice")
    for _ in range(3):
        root = twilio.twiml(next_action(root), {"Digits": "9"})
    assert root.find("Gather") is None and root.find("Hangup") is not None
    assert "Goodbye" in spoken(root)


def test_silence_in_the_menu_repeats_it_then_ends(twilio):
    root = twilio.twiml("/hotline/voice")
    redirect = root.find("Redirect").text
    for _ in range(3):
        root = twilio.twiml(redirect)
        if root.find("Redirect") is not None:
            redirect = root.find("Redirect").text
    assert root.find("Hangup") is not None


@pytest.mark.parametrize("entry", ["12345", "*#", "000000000", "abc", ""])
def test_bad_anumber_entries_are_explained_then_the_call_ends(twilio, entry):
    root = twilio.twiml("/hotline/voice/language", {"Digits": "2"})
    for attempt in range(3):
        root = twilio.twiml(next_action(root), {"Digits": entry} if entry else {})
        if attempt < 2:
            assert ("no es un número A válido" in spoken(root)) or ("No recibimos" in spoken(root))
            assert root.find("Gather") is not None
    assert root.find("Hangup") is not None and root.find("Gather") is None


def test_silence_at_the_anumber_prompt_counts_as_a_try(twilio):
    root = twilio.twiml("/hotline/voice/language", {"Digits": "1"})
    redirect = root.find("Redirect").text
    root = twilio.twiml(redirect)
    assert "did not receive any digits" in spoken(root)


def test_eight_digit_anumber_is_accepted(twilio, court):
    case = make_case()
    make_hearing(case, court)
    root = twilio.twiml("/hotline/voice/language", {"Digits": "1"})
    root = twilio.twiml(next_action(root), {"Digits": case.a_number[2:] + "#"})
    assert "PIN" in spoken(root)


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "*"])
def test_pin_of_the_wrong_length_is_explained(twilio, pin):
    case = make_case()
    root = _to_pin_step(twilio, "1", case.a_number)
    root = twilio.twiml(next_action(root), {"Digits": pin})
    assert "The PIN has six digits" in spoken(root)
    assert root.find("Gather").get("numDigits") == "6"


def test_wrong_pin_and_unknown_anumber_get_the_same_answer(twilio):
    case = make_case()
    a = _to_pin_step(twilio, "2", case.a_number)
    wrong_pin = twilio.twiml(next_action(a), {"Digits": "654321", "From": "+521"})
    b = _to_pin_step(twilio, "2", "A999999999")
    unknown = twilio.twiml(next_action(b), {"Digits": "654321", "From": "+522"})
    assert spoken(wrong_pin) == spoken(unknown)
    assert "No encontramos un caso con ese número A y ese PIN" in spoken(unknown)


def test_three_failed_lookups_end_the_call(twilio):
    case = make_case()
    root = _to_pin_step(twilio, "1", case.a_number)
    for attempt in range(3):
        root = twilio.twiml(next_action(root), {"Digits": "000000", "From": "+523"})
        if attempt < 2:
            root = twilio.twiml(next_action(root), {"Digits": case.a_number[1:]})
    assert root.find("Hangup") is not None and "Goodbye" in spoken(root)


def test_no_hearing_yet_says_the_notice_is_not_filed(twilio):
    case = make_case(status="nta_issued")
    root = _to_pin_step(twilio, "2", case.a_number)
    root = twilio.twiml(next_action(root), {"Digits": case.pin})
    assert "Su notificación todavía no ha sido presentada ante la corte" in spoken(root)


def test_pending_fear_interview_reads_exactly_like_any_case_without_a_notice(twilio):
    fear = make_case(status="pending_fear_interview", phone=None)
    plain = make_case(status="encountered", phone=None)
    out = []
    for case in (fear, plain):
        root = _to_pin_step(twilio, "1", case.a_number)
        out.append(spoken(twilio.twiml(next_action(root), {"Digits": case.pin})))
    assert out[0] == out[1]
    assert "fear" not in out[0].lower()


def test_decision_and_appeal_date_are_read(twilio):
    case = make_case(status="removal_ordered")
    root = _to_pin_step(twilio, "1", case.a_number)
    text = spoken(twilio.twiml(next_action(root), {"Digits": case.pin}))
    assert "The judge ordered removal on" in text
    assert "Board of Immigration Appeals must arrive by" in text


def test_mass_reschedule_marks_information_as_possibly_out_of_date(twilio, court):
    from django.utils import timezone

    case = make_case()
    make_hearing(case, court)
    type(case).objects.filter(pk=case.pk).update(info_changed_at=timezone.now())
    root = _to_pin_step(twilio, "2", case.a_number)
    text = spoken(twilio.twiml(next_action(root), {"Digits": case.pin}))
    assert "Esta información puede no estar actualizada" in text


def test_locked_caller_hears_so_and_the_call_ends(twilio, settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = 2
    case = make_case()
    root = _to_pin_step(twilio, "1", case.a_number)
    root = twilio.twiml(next_action(root), {"Digits": "000000", "From": "+5299"})
    root = twilio.twiml(next_action(root), {"Digits": case.a_number[1:]})
    root = twilio.twiml(next_action(root), {"Digits": "000001", "From": "+5299"})
    assert "too many attempts" in spoken(root)
    # even the right PIN is refused while locked
    root = _to_pin_step(twilio, "1", case.a_number)
    root = twilio.twiml(next_action(root), {"Digits": case.pin, "From": "+5299"})
    assert "too many attempts" in spoken(root)
    assert AuditEvent.objects.filter(action="hotline.lockout").exists()


def test_recording_is_played_instead_of_say(twilio):
    from garita.hotline.models import HotlineLanguage, PromptRecording
    from garita.hotline.selectors import ensure_default_languages

    ensure_default_languages()
    kiche = HotlineLanguage.objects.create(digit="5", code="quc", name="K'iche'",
                                           text_language="es", voice_language="es-MX")
    PromptRecording.objects.create(language=kiche, prompt="menu_option",
                                   audio_url="https://cdn.example.org/quc/menu.mp3")
    PromptRecording.objects.create(language=kiche, prompt="enter_anumber",
                                   audio_url="https://cdn.example.org/quc/anumber.mp3")
    root = twilio.twiml("/hotline/voice")
    plays = [p.text for p in root.iter("Play")]
    assert plays == ["https://cdn.example.org/quc/menu.mp3"]
    root = twilio.twiml(next_action(root), {"Digits": "5"})
    assert [p.text for p in root.iter("Play")] == ["https://cdn.example.org/quc/anumber.mp3"]


def test_unexpected_error_is_an_apology_not_a_traceback(twilio, monkeypatch):
    from garita.hotline import services

    def boom(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "lookup", boom)
    root = twilio.twiml("/hotline/voice/pin?lang=es&a=A234567890&tries=0", {"Digits": "123456"})
    assert "no está disponible" in spoken(root)
    assert "fire" not in spoken(root) and root.find("Hangup") is not None


def test_withheld_numbers_share_one_throttle(twilio, settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = 2
    for i in range(2):  # two different A-numbers: the A-number counters never trip
        root = twilio.twiml(f"/hotline/voice/pin?lang=en&a=A98765430{i}&tries=0",
                            {"Digits": "111111"})
    assert "too many attempts" in spoken(root)
    case = make_case()
    root = twilio.twiml(f"/hotline/voice/pin?lang=en&a={case.a_number}&tries=0",
                        {"Digits": case.pin})
    assert "too many attempts" in spoken(root)



@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(step=st.sampled_from(["/hotline/voice/language", "/hotline/voice/anumber?lang=es",
                             "/hotline/voice/pin?lang=pt&a=A234567890",
                             "/hotline/voice/repeat?lang=ht&t=x", "/hotline/voice?tries=z"]),
       digits=st.text(max_size=30))
def test_any_keys_at_any_step_get_valid_twiml(twilio, step, digits):
    root = twilio.twiml(step, {"Digits": digits})
    assert root.tag == "Response"
    assert root.find("Gather") is not None or root.find("Hangup") is not None
