"""Words for the hotline: statements and prompts rendered in one language for one channel.

Every text is gettext's translation in the caller's language (`tr`: looked up once per
process and language, since the catalogues do not change while it runs; a look-up speaks
about fifteen of them), so a prompt is really spoken in the caller's language; dates use our
own translated month and day names (Django has no Haitian Creole catalogue). Functions take
the language, or speak the active one. Channels: "voice" and "web" take full sentences,
"sms" is folded to the GSM alphabet and cut to a few segments.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from functools import partial
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from garita.hotline import domain
from garita.hotline.domain import Statement

MONTHS = [gettext_noop("January"), gettext_noop("February"), gettext_noop("March"),
          gettext_noop("April"), gettext_noop("May"), gettext_noop("June"),
          gettext_noop("July"), gettext_noop("August"), gettext_noop("September"),
          gettext_noop("October"), gettext_noop("November"), gettext_noop("December")]
WEEKDAYS = [gettext_noop("Monday"), gettext_noop("Tuesday"), gettext_noop("Wednesday"),
            gettext_noop("Thursday"), gettext_noop("Friday"), gettext_noop("Saturday"),
            gettext_noop("Sunday")]

_words: dict[tuple[str, str], str] = {}


def tr(language: str, msgid: str) -> str:
    """gettext(msgid) in `language`, from a per-process table after the first time."""
    key = (language, msgid)
    text = _words.get(key)
    if text is None:
        with translation.override(language):
            text = _words[key] = gettext(msgid)
    return text


def _active() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def local(at: dt.datetime, tz: str) -> dt.datetime:
    try:
        return at.astimezone(zoneinfo.ZoneInfo(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return at


def fmt_date(day: dt.date, language: str | None = None) -> str:
    return _fmt_date(day, language or _active())


@functools.lru_cache(maxsize=8192)  # a few hundred hearing days per language at a time
def _fmt_date(day: dt.date, lang: str) -> str:
    # Translators: a date; reorder the parts as your language writes them.
    return tr(lang, gettext_noop("%(weekday)s, %(month)s %(day)s, %(year)s")) % {
        "weekday": tr(lang, WEEKDAYS[day.weekday()]), "month": tr(lang, MONTHS[day.month - 1]),
        "day": day.day, "year": day.year,
    }


def fmt_time(at: dt.datetime, language: str | None = None) -> str:
    lang = language or _active()
    h12 = at.hour % 12 or 12
    # Translators: a time of day. h12/ampm for a 12-hour clock, h24 for a 24-hour clock.
    return tr(lang, gettext_noop("%(h12)s:%(mm)s %(ampm)s")) % {
        "h12": h12, "h24": f"{at.hour:02d}", "mm": f"{at.minute:02d}",
        "ampm": tr(lang, gettext_noop("a.m.") if at.hour < 12 else gettext_noop("p.m.")),
    }


def fmt_when(at: dt.datetime, tz: str, language: str | None = None) -> tuple[str, str]:
    loc = local(at, tz)
    return fmt_date(loc.date(), language), fmt_time(loc, language)


DECISION_TEXT = {
    "relief_granted": gettext_noop("The judge granted relief on %(date)s."),
    "removal_ordered": gettext_noop("The judge ordered removal on %(date)s."),
    "removal_in_absentia": gettext_noop(
        "The judge ordered removal on %(date)s because nobody came to the hearing."),
    "terminated": gettext_noop("The judge ended the case (terminated it) on %(date)s."),
}


def statement_text(st: Statement, language: str | None = None) -> str:
    """One statement as a sentence in `language` (default: the active one)."""
    lang = language or _active()
    _ = partial(tr, lang)  # noqa: N806 - gettext's name, so makemessages finds the texts
    p: dict[str, Any] = st.params
    if st.key == domain.STALE:
        return _("This information may be out of date: the court may be changing hearing "
                 "dates. Please check again soon.")
    if st.key == domain.NOT_FILED:
        return _("Your notice has not yet been filed with the court. There is no hearing "
                 "date yet. Please check again later.")
    if st.key == domain.NO_UPCOMING_HEARING:
        return _("No hearing is scheduled at the moment. You will be told when one is.")
    if st.key == domain.NOT_IN_MPP:
        return _("Your case is not waiting in Mexico under this program. Please contact the "
                 "court or your legal representative.")
    if st.key == domain.NEXT_HEARING:
        date, time = fmt_when(p["at"], p["timezone"], lang)
        return _("Your next hearing is on %(date)s at %(time)s, at %(place)s: %(address)s.") % {
            "date": date, "time": time, "place": p["place"], "address": _one_line(p["address"]),
        }
    if st.key == domain.REPORT:
        date, time = fmt_when(p["at"], p["timezone"], lang)
        return _("Report at the %(port)s port of entry on %(date)s at %(time)s: "
                 "%(address)s.") % {"port": p["port"], "date": date, "time": time,
                                    "address": _one_line(p["address"])}
    if st.key == domain.DECISION:
        date, _time = fmt_when(p["at"], p["timezone"], lang)
        return _(DECISION_TEXT.get(p["kind"], DECISION_TEXT["terminated"])) % {"date": date}
    if st.key == domain.APPEAL_DEADLINE:
        date, _time = fmt_when(p["until"], p["timezone"], lang)
        return _("An appeal to the Board of Immigration Appeals must arrive by %(date)s. "
                 "A free legal service provider can help.") % {"date": date}
    if st.key == domain.REOPEN_WINDOW:
        date, _time = fmt_when(p["until"], p["timezone"], lang)
        return _("You can ask the court to reopen the case: until %(date)s for exceptional "
                 "circumstances, or at any time if you never received the notice. A free "
                 "legal service provider can help.") % {"date": date}
    if st.key == domain.DECISION_FORECAST:
        return _("Cases like yours are usually decided between %(low)s and %(high)s. This is "
                 "an estimate, not a hearing date.") % {
            "low": fmt_date(p["low"], lang), "high": fmt_date(p["high"], lang)}
    return ""


def _one_line(text: str) -> str:
    return ", ".join(part.strip() for part in str(text).splitlines() if part.strip())


def lines(statements: list[Statement], language: str) -> list[str]:
    return [t for t in (statement_text(s, language) for s in statements) if t]


def sms_answer(statements: list[Statement], a_number: str, language: str) -> str:
    _ = partial(tr, language)  # noqa: N806 - gettext's name, so makemessages finds it
    head = _("Case %(anumber)s:") % {"anumber": mask_anumber(a_number)}
    body = " ".join(statement_text(s, language) for s in statements)
    return domain.fit_sms(f"{head} {body}")


def mask_anumber(a_number: str) -> str:
    """A***-***-890: enough to tell two cases apart, not enough to look one up."""
    return f"A***-***-{a_number[-3:]}" if len(a_number) >= 3 else "A***"


# ---------------------------------------------------------------- prompts


PROMPTS = {
    "menu_option": gettext_noop("For case information in English, press %(digit)s."),
    "enter_anumber": gettext_noop(
        "Please enter your nine-digit A-number, then press the pound key. "
        "If your A-number has eight digits, enter a zero first."),
    "enter_pin": gettext_noop(
        "Now enter the six-digit PIN printed on your notice, then press the pound key."),
    "invalid_anumber": gettext_noop("That is not a valid A-number."),
    "invalid_pin": gettext_noop("The PIN has six digits."),
    "lookup_failed": gettext_noop("We could not find a case with that A-number and PIN."),
    "locked": gettext_noop(
        "There have been too many attempts. Please try again later, or ask a "
        "free legal service provider for help."),
    "no_input": gettext_noop("We did not receive any digits."),
    "invalid_choice": gettext_noop("That is not one of the choices."),
    "answer_intro": gettext_noop("Here is the information on your case."),
    "repeat_offer": gettext_noop("To hear this again, press 1. To finish, hang up."),
    "goodbye": gettext_noop("Thank you for calling. Goodbye."),
    "error": gettext_noop(
        "Sorry, the service is not available right now. Please call again later."),
}


def prompt(key: str, language: str | None = None, **params: Any) -> str:
    """A voice prompt in `language` (default: the active one)."""
    text = tr(language or _active(), PROMPTS[key])
    return text % params if params else text


SMS_TEXTS = {
    "help": gettext_noop(
        "Garita case information. Send STATUS, your A-number and your PIN, for "
        "example: STATUS A234567890 123456. Send REMIND with the same to get "
        "hearing reminders. STOP stops all messages, START restarts them."),
    "unknown": gettext_noop("We did not understand your message."),
    "stopped": gettext_noop(
        "You will not receive more messages from Garita at this number. Send "
        "START to receive them again."),
    "started": gettext_noop(
        "You will receive messages from Garita at this number again. Send STOP "
        "to stop them."),
    "subscribed": gettext_noop(
        "You will receive hearing reminders at this number. Send STOP to stop them."),
    "missing": gettext_noop(
        "Send your A-number and your PIN, for example: STATUS A234567890 123456."),
    "invalid_anumber": gettext_noop("An A-number has 8 or 9 digits, for example A234567890."),
    "invalid_pin": gettext_noop("The PIN has 6 digits. It is printed on your notice."),
    "lookup_failed": gettext_noop("We could not find a case with that A-number and PIN."),
    "locked": gettext_noop("There have been too many attempts. Please try again later."),
    "error": gettext_noop(
        "Sorry, the service is not available right now. Please try again later."),
}


def sms_text(key: str, **params: Any) -> str:
    """An SMS reply (not a statement) in the active language, GSM-folded."""
    lang = _active()
    text = tr(lang, SMS_TEXTS[key])
    text = text % params if params else text
    if key == "help":
        text += " " + tr(lang, gettext_noop(
            "Waitlist: send LIST, the port, your number and your PIN."))
    return domain.fit_sms(text)
