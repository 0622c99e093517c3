"""The words of each notice and reminder, in the recipient's language, from current data.

Rendered at send time (so a reminder tells today's hearing time, not the one of the day it
was queued); no names, no nationality, nothing about a fear claim. The person sees a masked
A-number; a representative or a consenting shelter sees the full one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from garita.hotline.domain import fit_sms
from garita.hotline.render import fmt_when, mask_anumber
from garita.intake.anumber import format_anumber
from garita.notifications import services as s
from garita.notifications.models import Channel, Notification, RecipientKind


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def _hearing_sentence(h: object) -> str:
    date, time = fmt_when(h.starts_at, h.court.timezone)  # type: ignore[attr-defined]
    loc = h.location  # type: ignore[attr-defined]
    address = ", ".join(p.strip() for p in str(loc.address).splitlines() if p.strip())
    return _("%(date)s at %(time)s, %(place)s: %(address)s.") % {
        "date": date, "time": time, "place": loc.name, "address": address}


def _report_sentence(h: object) -> str:
    if getattr(h, "report_at", None) is None or h.report_port is None:  # type: ignore[attr-defined]
        return ""
    port = h.report_port  # type: ignore[attr-defined]
    date, time = fmt_when(h.report_at, port.timezone)  # type: ignore[attr-defined]
    return _("Report at the %(port)s port of entry on %(date)s at %(time)s.") % {
        "port": port.name, "date": date, "time": time}


def _footer() -> str:
    phone = settings.GARITA_HOTLINE_PHONE
    if phone:
        return _("Information: call %(phone)s or send STATUS by SMS.") % {"phone": phone}
    return _("Information: send STATUS by SMS.")


def render(n: Notification) -> Rendered:
    if n.waitlist_group_id is not None:
        # Rendered when queued (it carries the PIN, which exists nowhere else in clear).
        return Rendered(subject="", text=n.body)
    with translation.override(n.language or "es"):
        return _render(n)


def _render(n: Notification) -> Rendered:
    # Not a waitlist group's message (render), so it has a case (notification_case_xor_...).
    assert n.case is not None
    a_number = n.case.a_number
    label = mask_anumber(a_number) if n.recipient_kind == RecipientKind.PERSON else (
        format_anumber(a_number))
    h = n.hearing
    hearing = _hearing_sentence(h) if h is not None else ""
    report = _report_sentence(h) if h is not None else ""
    head = {
        s.HEARING_SCHEDULED: _("Garita: a hearing is scheduled for case %(case)s:"),
        s.HEARING_CHANGED: _("Garita: the hearing for case %(case)s has CHANGED. New date:"),
        s.HEARING_CANCELLED: _("Garita: the hearing for case %(case)s is CANCELLED. Do not go "
                               "to court on that date; a new notice will follow. It was:"),
        s.REMINDER_7D: _("Garita reminder: case %(case)s has a hearing in 7 days:"),
        s.REMINDER_1D: _("Garita reminder: case %(case)s has a hearing TOMORROW:"),
        s.REMINDER_REPORT: _("Garita: TODAY, case %(case)s."),
    }.get(n.event, _("Garita: news about case %(case)s:")) % {"case": label}
    if n.event == s.HEARING_CANCELLED:
        report = ""
    if n.event == s.REMINDER_REPORT:
        parts = [head, report, _("Hearing:"), hearing]
    else:
        parts = [head, hearing, report]
    text = " ".join(p for p in parts if p) + " " + _footer()
    subject = _("Garita: hearing notice for case %(case)s") % {"case": label}
    if n.channel in (Channel.SMS, Channel.WHATSAPP):
        text = fit_sms(text, max_segments=4)
    return Rendered(subject=subject, text=text)


def waitlist_registered_text(*, language: str, port_name: str, port_slug: str, number: int,
                             size: int, pin: str, position_url: str = "") -> str:
    """The registration SMS of a waitlist group: number and PIN, no name (one segment or
    two). Rendered once, when queued: the PIN exists in clear only at registration."""
    with translation.override(language or "es"):
        parts = [
            _("Garita: your group (%(size)s persons) has number %(number)s on the %(port)s "
              "waitlist. PIN: %(pin)s. Keep it private.") % {
                "size": size, "number": number, "port": port_name, "pin": pin},
            _("To check your place, send LIST %(port)s %(number)s and your PIN.") % {
                "port": port_slug, "number": number},
        ]
        if position_url:
            parts.append(position_url)
        return fit_sms(" ".join(parts), max_segments=4)
