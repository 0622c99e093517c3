"""What the hotline tells a caller: plain statements computed from a snapshot of one case.

Pure (no database, no settings): a frozen CaseSnapshot in, a list of Statement keys with
parameters out. A snapshot never carries a name, a nationality or any fact about a fear
claim, so no channel can reveal them; every status before a notice is filed reads the same.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Statement keys (stable: recordings and tests refer to them).
STALE = "info_may_be_out_of_date"
NOT_FILED = "notice_not_filed"
NEXT_HEARING = "next_hearing"
REPORT = "report_at_port"
NO_UPCOMING_HEARING = "no_upcoming_hearing"
DECISION = "decision"
APPEAL_DEADLINE = "appeal_deadline"
REOPEN_WINDOW = "reopen_window"
NOT_IN_MPP = "not_in_mpp"
DECISION_FORECAST = "decision_forecast"

STATEMENT_KEYS = (STALE, NOT_FILED, NEXT_HEARING, REPORT, NO_UPCOMING_HEARING, DECISION,
                  APPEAL_DEADLINE, REOPEN_WINDOW, NOT_IN_MPP, DECISION_FORECAST)

# Case statuses (intake.models.CaseStatus values) grouped by what the caller is told.
BEFORE_FILING = frozenset({"encountered", "pending_fear_interview", "amenable", "nta_issued"})
WAITING = frozenset({"returned_to_mexico", "in_proceedings"})
DECISIONS = frozenset({"relief_granted", "removal_ordered", "removal_in_absentia", "terminated"})
OUTSIDE_MPP = frozenset({"not_amenable", "removed_from_mpp"})

# 8 CFR 1003.38(b): an appeal to the BIA is due 30 days after an oral or mailed decision.
APPEAL_DAYS = 30
# 8 U.S.C. 1229a(b)(5)(C): reopening an in-absentia order for exceptional circumstances.
REOPEN_DAYS = 180


@dataclass(frozen=True)
class LegalProvider:
    name: str
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class HearingSnapshot:
    starts_at: dt.datetime  # aware, UTC
    timezone: str  # the court's
    court_name: str
    place_name: str
    place_address: str
    map_url: str = ""
    report_at: dt.datetime | None = None
    report_port_name: str = ""
    report_port_address: str = ""
    report_timezone: str = ""


@dataclass(frozen=True)
class CaseSnapshot:
    a_number: str
    status: str
    status_changed_at: dt.datetime | None
    info_changed_at: dt.datetime | None
    updated_at: dt.datetime
    next_hearing: HearingSnapshot | None = None
    had_hearing: bool = False
    # A past hearing still marked scheduled with no outcome: the record is behind.
    unresolved_past_hearing: bool = False
    court_timezone: str = "America/Los_Angeles"
    legal_providers: tuple[LegalProvider, ...] = ()
    # 80% interval for the decision (garita.stats.forecasts), for cases still waiting.
    decision_forecast: tuple[dt.date, dt.date] | None = None


@dataclass(frozen=True)
class Statement:
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def statements(snap: CaseSnapshot, *, now: dt.datetime, stale_after: dt.timedelta
               ) -> list[Statement]:
    """The facts to tell, in the order they are spoken."""
    out: list[Statement] = []
    if (
        snap.info_changed_at is not None
        or snap.unresolved_past_hearing
        or now - snap.updated_at > stale_after
    ):
        out.append(Statement(STALE))
    if snap.status in OUTSIDE_MPP:
        out.append(Statement(NOT_IN_MPP))
        return out
    if snap.status in DECISIONS:
        decided = snap.status_changed_at or snap.updated_at
        out.append(Statement(DECISION, {"kind": snap.status, "at": decided,
                                        "timezone": snap.court_timezone}))
        if snap.status == "removal_in_absentia":
            out.append(Statement(REOPEN_WINDOW, {"until": decided + dt.timedelta(days=REOPEN_DAYS),
                                                 "timezone": snap.court_timezone}))
        else:
            out.append(Statement(APPEAL_DEADLINE,
                                 {"until": decided + dt.timedelta(days=APPEAL_DAYS),
                                  "timezone": snap.court_timezone}))
    h = snap.next_hearing
    if h is not None:
        out.append(Statement(NEXT_HEARING, {
            "at": h.starts_at, "timezone": h.timezone, "court": h.court_name,
            "place": h.place_name, "address": h.place_address, "map_url": h.map_url,
        }))
        if h.report_at is not None:
            out.append(Statement(REPORT, {
                "at": h.report_at, "timezone": h.report_timezone or h.timezone,
                "port": h.report_port_name, "address": h.report_port_address,
            }))
    elif snap.status in DECISIONS:
        pass
    elif snap.status in BEFORE_FILING or not snap.had_hearing:
        out.append(Statement(NOT_FILED))
    else:
        out.append(Statement(NO_UPCOMING_HEARING))
    if snap.status in WAITING and snap.decision_forecast is not None:
        low, high = snap.decision_forecast
        out.append(Statement(DECISION_FORECAST, {"low": low, "high": high}))
    return out


# ---------------------------------------------------------------- input parsing (pure)

DIGITS = re.compile(r"^[0-9]+$")


def clean_digits(raw: object) -> str:
    """DTMF or typed digits with spaces, dashes and a trailing # removed; '' if not digits."""
    if not isinstance(raw, str):
        return ""
    text = re.sub(r"[\s\-.#]", "", raw)
    return text if text.isascii() and DIGITS.match(text) else ""


def valid_pin(raw: object, length: int) -> str | None:
    text = clean_digits(raw)
    return text if len(text) == length else None


# SMS keywords per language. Portuguese "SITUACAO" (situação, the word Brazilian courts use
# for a case's status) and Haitian Creole "ESTATI" (estati) are the status words.
SMS_KEYWORDS: dict[str, dict[str, str]] = {
    "status": {"STATUS": "en", "ESTADO": "es", "SITUACAO": "pt", "SITUAÇÃO": "pt",
               "ESTATI": "ht"},
    "help": {"HELP": "en", "INFO": "en", "AYUDA": "es", "AJUDA": "pt", "ÈD": "ht", "ED": "ht",
             "EDE": "ht"},
    "stop": {"STOP": "en", "STOPALL": "en", "UNSUBSCRIBE": "en", "CANCEL": "en", "END": "en",
             "QUIT": "en", "ALTO": "es", "BAJA": "es", "PARAR": "pt", "SAIR": "pt",
             "KANPE": "ht", "SISPANN": "ht"},
    "start": {"START": "en", "UNSTOP": "en", "YES": "en", "ALTA": "es", "INICIAR": "es",
              "VOLTAR": "pt", "KÒMANSE": "ht", "KOMANSE": "ht"},
    "subscribe": {"SUBSCRIBE": "en", "REMIND": "en", "SUSCRIBIR": "es", "RECORDAR": "es",
                  "AVISOS": "es", "INSCREVER": "pt", "LEMBRAR": "pt", "ABONE": "ht",
                  "RAPÈL": "ht", "RAPEL": "ht"},
    # The port's waitlist: `LIST <port> <number> <PIN>` (garita.hotline.waitlist_sms).
    "waitlist": {"LIST": "en", "WAITLIST": "en", "LISTA": "es", "TURNO": "es", "FILA": "pt",
                 "LIS": "ht"},
}


@dataclass(frozen=True)
class SmsCommand:
    kind: str  # status | help | stop | start | subscribe | waitlist | unknown
    language: str | None  # from the keyword, when it says one
    a_number: str = ""  # raw text, parsed later with intake.anumber.parse_anumber
    pin: str = ""
    rest: str = ""  # the words after a waitlist keyword (port, number, PIN)


def parse_sms(body: object, *, max_chars: int = 500) -> SmsCommand:
    """Read a keyword, an A-number in any common spelling, and a PIN from an SMS body."""
    if not isinstance(body, str):
        return SmsCommand("unknown", None)
    text = unicodedata.normalize("NFC", body[:max_chars]).strip()
    parts = text.split(None, 1)
    if not parts:
        return SmsCommand("unknown", None)
    first = parts[0].upper().strip(".,;:!?¡¿\"'")
    kind, lang = "unknown", None
    for k, words in SMS_KEYWORDS.items():
        if first in words:
            kind, lang = k, words[first]
            break
    rest = text if kind == "unknown" else (parts[1] if len(parts) > 1 else "")
    if kind == "waitlist":
        return SmsCommand(kind, lang, rest=rest)
    a_raw, pin = _split_anumber_pin(rest)
    if kind == "unknown" and a_raw and pin:
        kind = "status"  # "A234567890 123456" alone is a status request
    return SmsCommand(kind, lang, a_raw, pin)


def _split_anumber_pin(text: str) -> tuple[str, str]:
    """The last group of digits is the PIN; what comes before it is the A-number."""
    groups = re.findall(r"[Aa]?[\d][\d\-.]*", text)
    if not groups:
        return "", ""
    if len(groups) == 1:
        return groups[0], ""
    pin = groups[-1]
    a_raw = "".join(groups[:-1])
    return a_raw, pin


# ---------------------------------------------------------------- SMS size (pure)

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def to_gsm(text: str) -> str:
    """Fold letters outside the GSM 03.38 alphabet (á, ã, ç...) to plain ones.

    A single such letter makes the whole SMS UCS-2 (70 characters a segment instead of 160).
    """
    out = []
    for ch in text:
        if ch in GSM7:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        folded = "".join(c for c in base if not unicodedata.combining(c))
        out.append(folded if folded and all(c in GSM7 for c in folded) else "?")
    return "".join(out)


def sms_segments(text: str) -> int:
    if all(c in GSM7 for c in text):
        return 1 if len(text) <= 160 else -(-len(text) // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def fit_sms(text: str, *, max_segments: int = 4) -> str:
    """GSM-folded text cut on a word boundary to at most `max_segments` segments."""
    text = to_gsm(" ".join(text.split()))
    limit = 160 if max_segments == 1 else 153 * max_segments
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0]
    return cut + "..."


# ---------------------------------------------------------------- throttling (pure)

@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_started_at: dt.datetime | None
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: dt.timedelta
    lockout: dt.timedelta


def is_locked(state: ThrottleState, now: dt.datetime) -> bool:
    return state.locked_until is not None and state.locked_until > now


def after_failure(state: ThrottleState, now: dt.datetime, policy: ThrottlePolicy
                  ) -> tuple[ThrottleState, bool]:
    """The state after one more failure, and whether this failure starts a lock-out."""
    started = state.window_started_at
    failures = state.failures
    if started is None or now - started > policy.window or (
        state.locked_until is not None and state.locked_until <= now
    ):
        started, failures = now, 0
    failures += 1
    if failures >= policy.max_failures:
        return ThrottleState(failures, started, now + policy.lockout), True
    return ThrottleState(failures, started, None), False
