"""The phone menu (IVR) as TwiML: language, A-number, PIN, answer, repeat; three tries each.

Each step is a signed webhook; the state travels in the action URL (lang, tries, A-number),
which Twilio signs on the way back, so a caller cannot alter it. Prompts are spoken with
<Say> in the caller's language, or played with <Play> where a recording was uploaded. Any
unexpected error becomes a polite spoken goodbye, never a stack trace.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes

from garita.hotline import domain, render, services
from garita.hotline.models import HotlineLanguage, PromptRecording
from garita.hotline.selectors import active_languages, language_by_code, recordings_for
from garita.hotline.services import Outcome
from garita.hotline.twilio_auth import public_base, twilio_webhook
from garita.hotline.twiml import Response as TwimlResponse
from garita.intake.anumber import parse_anumber
from garita.intake.pins import PIN_LENGTH

log = logging.getLogger(__name__)

MAX_TRIES = 3
REPEAT_SALT = "garita.hotline.repeat"
REPEAT_MAX_AGE = 15 * 60


_paths: dict[str, str] = {}


def _url(name: str, **params: Any) -> str:
    path = _paths.get(name)
    if path is None:  # the step URLs never change while the process runs
        path = _paths[name] = reverse(name)
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return path + (f"?{query}" if query else "")


def _tries(request: HttpRequest) -> int:
    try:
        return max(0, min(int(request.GET.get("tries", "0")), MAX_TRIES))
    except ValueError:
        return 0


def twiml(response: TwimlResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


def _repeat_keys() -> list[bytes]:
    return [hashlib.sha256(f"{REPEAT_SALT}:".encode() + force_bytes(secret)).digest()
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _repeat_mac(key: bytes, payload: str) -> str:
    return base64.urlsafe_b64encode(
        hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]).decode()


def repeat_token(case_id: int, *, now: float | None = None) -> str:
    """`<case id>.<unix time>.<HMAC>`: lets "press 1" repeat the answer for REPEAT_MAX_AGE
    seconds without the PIN again. Signed with SECRET_KEY (the fallbacks still verify)."""
    payload = f"{case_id}.{int(time.time() if now is None else now)}"
    return f"{payload}.{_repeat_mac(_repeat_keys()[0], payload)}"


def repeat_case_id(token: str, *, now: float | None = None) -> int:
    """The case id of a valid, unexpired token; ValueError otherwise."""
    payload, _, mac = token.rpartition(".")
    case_id, _, issued = payload.partition(".")
    if not any(hmac.compare_digest(_repeat_mac(key, payload).encode(), mac.encode())
               for key in _repeat_keys()):
        raise ValueError("bad signature")
    age = (time.time() if now is None else now) - int(issued)
    if not 0 <= age <= REPEAT_MAX_AGE:
        raise ValueError("expired")
    return int(case_id)


class Speaker:
    """Says prompts in one language, or plays the recording uploaded for them."""

    def __init__(self, request: HttpRequest, lang: HotlineLanguage,
                 recordings: dict[str, PromptRecording] | None = None) -> None:
        self.request = request
        self.lang = lang
        self.recordings = recordings_for(lang) if recordings is None else recordings  # read only

    def _play_url(self, rec: PromptRecording) -> str:
        if rec.audio_url:
            return rec.audio_url
        return public_base(self.request) + reverse("hotline:prompt_audio", args=[rec.pk])

    def say(self, node: Any, text: str, key: str = "") -> None:
        rec = self.recordings.get(key) if key else None
        if rec is not None and (rec.audio_url or rec.audio):
            node.play(self._play_url(rec))
            return
        node.say(text, language=self.lang.voice_language, voice=self.lang.voice or None)

    def prompt(self, node: Any, key: str, **params: Any) -> None:
        self.say(node, render.prompt(key, self.lang.text_language, **params), key)


def _goodbye(sp: Speaker, r: TwimlResponse, *leads: str) -> HttpResponse:
    for key in leads:
        sp.prompt(r, key)
    sp.prompt(r, "goodbye")
    r.hangup()
    return twiml(r)


def _safe(view: Any) -> Any:
    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except Exception:  # noqa: BLE001 - a caller hears an apology, never a traceback
            log.exception("hotline voice step failed")
            r = TwimlResponse()
            lang = language_by_code(request.GET.get("lang", "")) if request.GET.get("lang") \
                else None
            for each in [lang] if lang else active_languages()[:2]:
                with translation.override(each.text_language):
                    r.say(render.prompt("error"), language=each.voice_language)
            r.hangup()
            return twiml(r)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _menu(request: HttpRequest, tries: int) -> HttpResponse:
    r = TwimlResponse()
    langs = active_languages()
    if tries >= MAX_TRIES:
        for lang in langs[:2]:
            Speaker(request, lang).prompt(r, "goodbye")
        r.hangup()
        return twiml(r)
    g = r.gather(num_digits=1, action=_url("hotline:voice_language", tries=tries),
                 method="POST", timeout=6)
    for lang in langs:
        Speaker(request, lang).prompt(g, "menu_option", digit=lang.digit)
    r.redirect(_url("hotline:voice", tries=tries + 1), method="POST")
    return twiml(r)


@twilio_webhook
@_safe
def voice_menu(request: HttpRequest) -> HttpResponse:
    """POST /hotline/voice: the language menu (Twilio's "A call comes in" URL)."""
    return _menu(request, _tries(request))


def _gather_anumber(sp: Speaker, tries: int, *leads: str) -> HttpResponse:
    r = TwimlResponse()
    for key in leads:
        sp.prompt(r, key)
    action = _url("hotline:voice_anumber", lang=sp.lang.code, tries=tries)
    g = r.gather(num_digits=9, finish_on_key="#", action=action, method="POST", timeout=10)
    sp.prompt(g, "enter_anumber")
    r.redirect(action, method="POST")  # no input: the step counts it as a wrong try
    return twiml(r)


def _gather_pin(sp: Speaker, a_number: str, tries: int, *leads: str) -> HttpResponse:
    r = TwimlResponse()
    for key in leads:
        sp.prompt(r, key)
    action = _url("hotline:voice_pin", lang=sp.lang.code, a=a_number, tries=tries)
    g = r.gather(num_digits=PIN_LENGTH, finish_on_key="#", action=action, method="POST",
                 timeout=10)
    sp.prompt(g, "enter_pin")
    r.redirect(action, method="POST")
    return twiml(r)


@twilio_webhook
@_safe
def voice_language(request: HttpRequest) -> HttpResponse:
    """The caller pressed a digit in the language menu."""
    tries = _tries(request)
    digit = domain.clean_digits(request.POST.get("Digits", ""))
    lang = next((lg for lg in active_languages() if lg.digit == digit), None)
    if lang is None:
        return _menu(request, tries + 1)
    return _gather_anumber(Speaker(request, lang), 0)


def _speaker_or_menu(request: HttpRequest) -> Speaker | None:
    lang = language_by_code(request.GET.get("lang", ""))
    return Speaker(request, lang) if lang is not None else None


@twilio_webhook
@_safe
def voice_anumber(request: HttpRequest) -> HttpResponse:
    """The caller keyed (or did not key) the A-number."""
    sp = _speaker_or_menu(request)
    if sp is None:
        return _menu(request, 0)
    tries = _tries(request)
    raw = request.POST.get("Digits")
    digits = domain.clean_digits(raw or "")
    if not digits:
        lead = "no_input" if not raw else "invalid_anumber"
        if tries + 1 >= MAX_TRIES:
            return _goodbye(sp, TwimlResponse(), lead)
        return _gather_anumber(sp, tries + 1, lead)
    try:
        a_number = parse_anumber(digits)
    except Exception:  # noqa: BLE001 - DomainError: not an A-number
        if tries + 1 >= MAX_TRIES:
            return _goodbye(sp, TwimlResponse(), "invalid_anumber")
        return _gather_anumber(sp, tries + 1, "invalid_anumber")
    return _gather_pin(sp, a_number, tries)


@twilio_webhook
@_safe
def voice_pin(request: HttpRequest) -> HttpResponse:
    """The caller keyed the PIN: look the case up (throttled) and answer."""
    sp = _speaker_or_menu(request)
    if sp is None:
        return _menu(request, 0)
    tries = _tries(request)
    try:
        a_number = parse_anumber(request.GET.get("a", ""))
    except Exception:  # noqa: BLE001 - a tampered or lost A-number: start that step again
        return _gather_anumber(sp, tries)
    raw = request.POST.get("Digits")
    pin = domain.valid_pin(raw or "", PIN_LENGTH)
    if pin is None:
        lead = "no_input" if not raw else "invalid_pin"
        if tries + 1 >= MAX_TRIES:
            return _goodbye(sp, TwimlResponse(), lead)
        return _gather_pin(sp, a_number, tries + 1, lead)
    # A withheld number shares one counter with every other withheld number, so hiding
    # the caller id does not escape the per-caller throttle.
    caller = services.normalise_phone(request.POST.get("From", "")) or "anonymous"
    result = services.lookup(a_number=a_number, pin=pin, channel="voice", caller=caller)
    if result.outcome == Outcome.LOCKED:
        return _goodbye(sp, TwimlResponse(), "locked")
    if result.outcome != Outcome.FOUND:
        if tries + 1 >= MAX_TRIES:
            return _goodbye(sp, TwimlResponse(), "lookup_failed")
        return _gather_anumber(sp, tries + 1, "lookup_failed")
    return _answer(sp, result)


def _answer(sp: Speaker, result: services.LookupResult) -> HttpResponse:
    r = TwimlResponse()
    sp.prompt(r, "answer_intro")
    texts = render.lines(list(result.statements), sp.lang.text_language)
    for st, text in zip(result.statements, texts, strict=False):
        rec = sp.recordings.get(f"answer.{st.key}")
        if rec is not None:
            sp.say(r, "", f"answer.{st.key}")
        r.say(text, language=sp.lang.voice_language, voice=sp.lang.voice or None)
    assert result.case_id is not None  # only a FOUND result is answered, and it names its case
    token = repeat_token(result.case_id)
    g = r.gather(num_digits=1, action=_url("hotline:voice_repeat", lang=sp.lang.code, t=token),
                 method="POST", timeout=8)
    sp.prompt(g, "repeat_offer")
    return _goodbye(sp, r)


@twilio_webhook
@_safe
def voice_repeat(request: HttpRequest) -> HttpResponse:
    """After the answer: 1 repeats it (without asking the PIN again), anything else ends."""
    sp = _speaker_or_menu(request)
    if sp is None:
        return _menu(request, 0)
    try:
        case_id = repeat_case_id(request.GET.get("t", ""))
    except ValueError:
        return _goodbye(sp, TwimlResponse())
    if domain.clean_digits(request.POST.get("Digits", "")) != "1":
        return _goodbye(sp, TwimlResponse())
    result = services.reread(case_id)
    if result.outcome != Outcome.FOUND:
        return _goodbye(sp, TwimlResponse())
    return _answer(sp, result)
