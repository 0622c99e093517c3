"""Hotline webhooks (SMS, delivery status), recorded prompts, and the public /status page.

Thin: parse, call one service, render. The SMS webhook always answers with TwiML in the
sender's language (from the keyword, else the language on file for that number, else
Spanish); an unexpected error becomes an apology, never a stack trace. /status works
without JavaScript and never caches a result.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from urllib.parse import quote_plus

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from garita.core.csrf import get_token
from garita.hotline import domain, services, twiml
from garita.hotline import render as words
from garita.hotline import status_page as status_html
from garita.hotline.models import PromptRecording
from garita.hotline.services import Outcome
from garita.hotline.twilio_auth import twilio_webhook
from garita.intake.models import ContactPoint

log = logging.getLogger(__name__)

SMS_MAX_BODY = 2000


def _language_on_file(phone: str) -> str | None:
    if not phone:
        return None
    row = (ContactPoint.objects.filter(value=phone).order_by("-id")
           .values_list("case__person__languages", flat=True).first())
    if not row:
        return None
    return {"spa": "es", "por": "pt", "hat": "ht", "eng": "en"}.get(row[0], "es")


def sms_reply(body: object, phone: str, channel: str) -> tuple[str, str]:
    """(language, reply text) for one incoming message."""
    cmd = domain.parse_sms(body if isinstance(body, str) else "", max_chars=SMS_MAX_BODY)
    lang = cmd.language or _language_on_file(phone) or "es"
    with translation.override(lang):
        if cmd.kind == "stop":
            if phone:
                from garita.notifications.services import record_opt_out

                record_opt_out(address=phone, source=f"hotline:{channel}")
            return lang, words.sms_text("stopped")
        if cmd.kind == "start":
            if phone:
                from garita.notifications.services import record_opt_in

                record_opt_in(address=phone, source=f"hotline:{channel}")
            return lang, words.sms_text("started")
        if cmd.kind == "help":
            return lang, words.sms_text("help")
        if cmd.kind == "waitlist":
            from garita.hotline.waitlist_sms import waitlist_reply

            return lang, waitlist_reply(cmd.rest, phone)
        if cmd.kind == "unknown":
            return lang, domain.fit_sms(words.sms_text("unknown") + " " + words.sms_text("help"))
        if not cmd.a_number or not cmd.pin:
            return lang, words.sms_text("missing")
        result = services.lookup(a_number=cmd.a_number, pin=cmd.pin, channel=channel,
                                 caller=phone or "anonymous")
        if result.outcome == Outcome.LOCKED:
            return lang, words.sms_text("locked")
        if result.outcome == Outcome.BAD_ANUMBER:
            return lang, words.sms_text("invalid_anumber")
        if result.outcome == Outcome.BAD_PIN:
            return lang, words.sms_text("invalid_pin")
        if result.outcome != Outcome.FOUND or result.case_id is None:
            return lang, words.sms_text("lookup_failed")
        if cmd.kind == "subscribe":
            if phone:
                services.subscribe(case_id=result.case_id, phone=phone, channel=channel)
            return lang, words.sms_text("subscribed")
        return lang, words.sms_answer(list(result.statements), result.a_number, lang)


@twilio_webhook
def sms(request: HttpRequest) -> HttpResponse:
    """POST /hotline/sms: Twilio's "A message comes in" URL (SMS and WhatsApp)."""
    raw_from = request.POST.get("From", "")
    channel = "whatsapp" if raw_from.lower().startswith("whatsapp:") else "sms"
    phone = services.normalise_phone(raw_from)
    try:
        _lang, text = sms_reply(request.POST.get("Body", ""), phone, channel)
    except Exception:  # noqa: BLE001 - answer politely, log the bug
        log.exception("hotline SMS failed")
        with translation.override("es"):
            text = words.sms_text("error")
    r = twiml.Response()
    r.message(text)
    return HttpResponse(str(r), content_type="text/xml; charset=utf-8")


@twilio_webhook
def status_callback(request: HttpRequest) -> HttpResponse:
    """POST /hotline/status-callback?n=<id>: Twilio's delivery report for one message."""
    from garita.notifications.dispatch import apply_status_callback

    try:
        nid: int | None = int(request.GET.get("n", ""))
    except ValueError:
        nid = None
    sid = request.POST.get("MessageSid") or request.POST.get("CallSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    apply_status_callback(notification_id=nid, provider_id=sid[:64], status=status,
                          error_code=request.POST.get("ErrorCode", "")[:16])
    return HttpResponse(status=204)


def prompt_audio(request: HttpRequest, pk: int) -> FileResponse:
    """A recorded prompt, public so that Twilio can fetch it for <Play>."""
    rec = get_object_or_404(PromptRecording, pk=pk)
    if not rec.audio:
        raise Http404
    return FileResponse(rec.audio.open("rb"), content_type="audio/mpeg")


# ---------------------------------------------------------------- the web page


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


@lru_cache(maxsize=512)  # a handful of courts and ports: the same few addresses
def map_link(address: str, map_url: str) -> str:
    if map_url:
        return map_url
    one_line = ", ".join(p.strip() for p in address.splitlines() if p.strip())
    return f"https://www.openstreetmap.org/search?query={quote_plus(one_line)}"


_ERRORS = {Outcome.LOCKED: "locked", Outcome.BAD_ANUMBER: "bad_anumber",
           Outcome.BAD_PIN: "bad_pin"}
# What add_never_cache_headers sets, written at once (it re-parses Cache-Control each time).
_NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def never_cache(response: HttpResponse) -> HttpResponse:
    """The headers of django.utils.cache.add_never_cache_headers on a fresh response."""
    response.headers["Expires"] = http_date(time.time())
    response.headers["Cache-Control"] = _NEVER_CACHE
    return response


@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest) -> HttpResponse:
    """/status: A-number + PIN -> the same information as the phone line.

    Rendered by garita.hotline.status_page (no template engine: this page is served on
    every web look-up); never cached."""
    language = get_language() or "es"
    a_number, error, answer = "", "", None
    if request.method == "POST":
        a_number = request.POST.get("a_number", "")[:40]
        pin = request.POST.get("pin", "")[:40]
        result = services.lookup(a_number=a_number, pin=pin, channel="web",
                                 ip=client_ip(request))
        if result.outcome == Outcome.FOUND and result.snapshot is not None:
            snap = result.snapshot
            h = snap.next_hearing
            answer = status_html.Answer(
                masked_anumber=words.mask_anumber(result.a_number),
                lines=words.lines(list(result.statements), language),
                hearing=h,
                map_link=map_link(h.place_address, h.map_url) if h else "",
                report_map_link=(map_link(h.report_port_address, "") if h and h.report_at
                                 else ""),
                providers=snap.legal_providers,
            )
        else:
            error = _ERRORS.get(result.outcome, "failed")
    page = status_html.render_page(language=language, csrf_token=get_token(request),
                                   a_number=a_number, error=error, answer=answer)
    return never_cache(HttpResponse(page))
