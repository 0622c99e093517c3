"""Reads for the hotline: a case's snapshot (no names, no screening data) and the languages.

`case_snapshot` copies only what domain.statements may say; it is the one place the hotline
reads hearing data, so nothing else (names, nationality, fear claims) can leak into a reply.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from garita.hearings.models import Hearing, HearingStatus
from garita.hotline import throttle
from garita.hotline.domain import CaseSnapshot, HearingSnapshot, LegalProvider, ThrottlePolicy
from garita.hotline.models import HotlineLanguage, PromptRecording
from garita.hotline.throttle import NOTHING, Registration
from garita.intake.models import Case

DEFAULT_LANGUAGES = [
    # digit, code, name, text language, Twilio <Say> language
    ("1", "en", "English", "en", "en-US"),
    ("2", "es", "Español", "es", "es-MX"),
    ("3", "pt", "Português", "pt", "pt-BR"),
    # Twilio has no Haitian Creole voice: the Creole text is read by a French voice until
    # recordings are uploaded (see docs/hotline.md).
    ("4", "ht", "Kreyòl ayisyen", "ht", "fr-FR"),
]

# A hearing that started this long ago is still "the next hearing" (the caller may be on
# the way); older ones still marked scheduled mean the record is behind.
IN_PROGRESS = dt.timedelta(hours=6)


logger = logging.getLogger(__name__)

def ensure_default_languages() -> None:
    for digit, code, name, text_lang, voice_lang in DEFAULT_LANGUAGES:
        HotlineLanguage.objects.get_or_create(
            code=code, defaults={"digit": digit, "name": name, "text_language": text_lang,
                                 "voice_language": voice_lang},
        )


# Languages and recordings change rarely and are read on every IVR step: keep them in
# process memory for a minute (a change in this process clears it at once; other app
# servers see it within CACHE_SECONDS).
CACHE_SECONDS = 60.0
_cache: dict[str, Any] = {}


def clear_cache(**_kwargs: Any) -> None:
    _cache.clear()


def _load() -> dict[str, Any]:
    if _cache and time.monotonic() - _cache["at"] < CACHE_SECONDS:
        return _cache
    langs = list(HotlineLanguage.objects.filter(active=True).order_by("digit"))
    if not langs and not HotlineLanguage.objects.exists():
        ensure_default_languages()
        langs = list(HotlineLanguage.objects.filter(active=True).order_by("digit"))
    recs: dict[int, dict[str, PromptRecording]] = {}
    for r in PromptRecording.objects.filter(language__in=langs):
        recs.setdefault(r.language_id, {})[r.prompt] = r
    _cache.update(at=time.monotonic(), langs=langs, recs=recs)
    return _cache


def active_languages() -> list[HotlineLanguage]:
    return list(_load()["langs"])


def language_by_code(code: str) -> HotlineLanguage | None:
    for lang in active_languages():
        if lang.code == code:
            return lang
    return None


def recordings_for(language: HotlineLanguage) -> dict[str, PromptRecording]:
    """The language's recordings by prompt key (the cache's own dict: do not change it)."""
    return _load()["recs"].get(language.pk, _NO_RECORDINGS)


_NO_RECORDINGS: dict[str, PromptRecording] = {}


post_save.connect(clear_cache, sender=HotlineLanguage, dispatch_uid="hotline-lang-save")
post_delete.connect(clear_cache, sender=HotlineLanguage, dispatch_uid="hotline-lang-delete")
post_save.connect(clear_cache, sender=PromptRecording, dispatch_uid="hotline-rec-save")
post_delete.connect(clear_cache, sender=PromptRecording, dispatch_uid="hotline-rec-delete")


def _providers(raw: object) -> tuple[LegalProvider, ...]:
    if isinstance(raw, str):  # SQLite's JSON text: parsed once per distinct text
        return _providers_from_text(raw)
    out = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item.get("name"):
                out.append(LegalProvider(name=str(item["name"]), phone=str(item.get("phone", "")),
                                         address=str(item.get("address", ""))))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _providers_from_text(text: str) -> tuple[LegalProvider, ...]:
    value = _json(text)
    return _providers(value) if isinstance(value, list) else ()


# ---------------------------------------------------------------- the look-up read

# One statement reads everything a look-up needs: the case, all its hearings (a handful)
# with their court, place and port. On PostgreSQL the same statement first registers the
# attempt on its throttle keys (garita.hotline.throttle: a data-modifying WITH, committed
# with the statement, before the PIN is compared); SQLite has no data-modifying WITH, so
# there the registration is a statement of its own, just before.
# Raw SQL: building this through the ORM cost more CPU than the database spent on it.
# Nothing is cached here: a rescheduled hearing or a moved court shows in the next look-up.
_CASE_COLS = ("id", "a_number", "status", "status_changed_at", "lookup_pin_digest",
              "info_changed_at", "updated_at", "created_at", "port_id")
_HEARING_COLS = ("h_id", "h_status", "starts_at", "outcome", "report_at", "h_created_at",
                 "noticed_at", "court_id", "court_name", "court_tz", "court_lsp",
                 "place_name", "place_address", "map_url", "port_name", "port_address",
                 "port_tz")


def _sql(where: str, scopes: tuple[str, ...] = (), relaxed: bool = False) -> str:
    """The read; with `scopes` (PostgreSQL), the registration on those keys before it, its
    returned row for each scope joined to every row (NULLs: that key did not count it)."""
    from garita.core.models import Port
    from garita.hearings.models import Court, HearingLocation

    bump = bump_cols = bump_joins = ""
    one = "SELECT 1 AS one"
    if scopes:
        bump = f"WITH bump AS ({throttle.upsert_sql('postgresql', len(scopes))}) "
        for i, scope in enumerate(scopes):
            bump_cols += "".join(f", b{i}.{col}" for col in throttle.RETURNED)
            bump_joins += f"LEFT JOIN bump b{i} ON b{i}.scope = '{scope}' "
    if scopes and relaxed:
        # `relaxed`: this statement is its own transaction (autocommit), and all it writes
        # is the attempt's count, so its commit need not wait for the disk
        # (synchronous_commit off for this transaction only). A crash of the database
        # server can lose at most the counts of its last few hundred milliseconds
        # (wal_writer_delay), never corrupt them; the audit insert that follows a success,
        # and a lock-out's audit event, commit synchronously as always, which also flushes
        # this commit's WAL. Never inside a caller's transaction: it would relax the
        # caller's commit too.
        one = "SELECT 1 AS one, set_config('synchronous_commit', 'off', true) AS relaxed"
    return (
        f"{bump}"
        "SELECT c.id, c.a_number, c.status, c.status_changed_at, c.lookup_pin_digest, "
        "c.info_changed_at, c.updated_at, c.created_at, c.port_id, "
        "h.id, h.status, h.starts_at, h.outcome, h.report_at, h.created_at, h.noticed_at, "
        "ct.id, ct.name, ct.timezone, ct.legal_service_providers, "
        f"l.name, l.address, l.map_url, p.name, p.address, p.timezone{bump_cols} "
        f"FROM ({one}) one "
        f"{bump_joins}"
        f"LEFT JOIN {Case._meta.db_table} c ON {where} "
        f"LEFT JOIN {Hearing._meta.db_table} h ON h.case_id = c.id "
        f"LEFT JOIN {Court._meta.db_table} ct ON ct.id = h.court_id "
        f"LEFT JOIN {HearingLocation._meta.db_table} l ON l.id = h.location_id "
        f"LEFT JOIN {Port._meta.db_table} p ON p.id = h.report_port_id "
        "ORDER BY h.starts_at, h.id"
    )


_sql_cache: dict[tuple[str, tuple[str, ...], bool], str] = {}


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
        if value is None:
            return None
    if value.tzinfo is None:  # SQLite stores UTC without an offset
        value = value.replace(tzinfo=dt.UTC)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


@dataclass(frozen=True)
class LookupRead:
    """What one look-up read returned."""

    case: dict[str, Any] | None
    hearings: list[dict[str, Any]]
    registration: Registration = NOTHING  # the attempt, registered on its keys


def read_for_lookup(*, a_number: str = "", case_id: int | None = None,
                    keys: Sequence[tuple[str, str]] = (), now: dt.datetime | None = None,
                    policy: ThrottlePolicy | None = None) -> LookupRead:
    """The case (by A-number or id) and its hearings, after registering the attempt on
    `keys` (throttle.register; given `keys`, also `now` and `policy`). One statement on
    PostgreSQL; on SQLite the registration is one more, and a refused attempt reads nothing.
    """
    from garita.core import sql as raw_sql

    by_id = case_id is not None
    keys = throttle.ordered(keys)
    db = connections[DEFAULT_DB_ALIAS]
    folded = bool(keys) and db.vendor == "postgresql"
    relaxed = folded and not db.in_atomic_block
    reg = NOTHING
    params: list[Any] = []
    if keys:
        assert now is not None and policy is not None
        if folded:
            params = throttle.upsert_params(keys, now=now, policy=policy)
        else:
            reg = throttle.register(keys, now=now, policy=policy)
            if not reg.admitted:
                return LookupRead(None, [], reg)
    scopes = tuple(scope for scope, _digest in keys) if folded else ()
    sig = ("id" if by_id else "a", scopes, relaxed)
    sql = _sql_cache.get(sig)
    if sql is None:
        sql = _sql_cache[sig] = _sql("c.id = %s" if by_id else "c.a_number = %s", scopes,
                                     relaxed)
    params.append(case_id if by_id else a_number)
    rows = raw_sql.fetchall(sql, params)  # on the driver's cursor (garita.core.sql)
    first = rows[0]
    n_case, n_h = len(_CASE_COLS), len(_HEARING_COLS)
    if folded:
        width = len(throttle.RETURNED)
        start = n_case + n_h
        reg = throttle.registration(len(keys), [
            first[start + i * width:start + (i + 1) * width] for i in range(len(scopes))])
    if first[0] is None:
        return LookupRead(None, [], reg)
    case = dict(zip(_CASE_COLS, first[:n_case], strict=True))
    for k in ("status_changed_at", "info_changed_at", "updated_at", "created_at"):
        case[k] = _aware(case[k])
    hearings = []
    for row in rows:
        if row[n_case] is None:
            continue
        h = dict(zip(_HEARING_COLS, row[n_case:n_case + n_h], strict=True))
        for k in ("starts_at", "report_at", "h_created_at", "noticed_at"):
            h[k] = _aware(h[k])
        hearings.append(h)
    return LookupRead(case, hearings, reg)


def snapshot_from_read(read: LookupRead, *, now: dt.datetime | None = None) -> CaseSnapshot:
    """What the hotline may say about the case that `read` found."""
    assert read.case is not None
    now = now or timezone.now()
    case, rows = read.case, read.hearings  # hearings in starts_at order
    upcoming = [h for h in rows if h["h_status"] == HearingStatus.SCHEDULED
                and h["starts_at"] >= now - IN_PROGRESS]
    nxt = upcoming[0] if upcoming else None
    had_hearing = bool(rows)
    unresolved = any(h["h_status"] == HearingStatus.SCHEDULED
                     and h["starts_at"] < now - IN_PROGRESS and not h["outcome"] for h in rows)
    court_tz = "America/Los_Angeles"
    providers: tuple[LegalProvider, ...] = ()
    snap_hearing = None
    if nxt is not None:
        court_tz = nxt["court_tz"]
        providers = _providers(nxt["court_lsp"])
        has_port = nxt["port_name"] is not None
        snap_hearing = HearingSnapshot(
            starts_at=nxt["starts_at"], timezone=nxt["court_tz"], court_name=nxt["court_name"],
            place_name=nxt["place_name"], place_address=nxt["place_address"],
            map_url=nxt["map_url"], report_at=nxt["report_at"],
            report_port_name=nxt["port_name"] if has_port else "",
            report_port_address=nxt["port_address"] if has_port else "",
            report_timezone=nxt["port_tz"] if has_port else "",
        )
    elif had_hearing:
        last = rows[-1]
        court_tz = last["court_tz"]
        providers = _providers(last["court_lsp"])
    updated = max(
        [t for t in (case["updated_at"], case["status_changed_at"],
                     nxt["h_created_at"] if nxt else None, nxt["noticed_at"] if nxt else None)
         if t]
    )
    return CaseSnapshot(
        decision_forecast=_decision_forecast(case, rows),
        a_number=case["a_number"], status=case["status"],
        status_changed_at=case["status_changed_at"], info_changed_at=case["info_changed_at"],
        updated_at=updated, next_hearing=snap_hearing, had_hearing=had_hearing,
        unresolved_past_hearing=unresolved, court_timezone=court_tz, legal_providers=providers,
    )


def case_snapshot(case: Case, *, now: dt.datetime | None = None) -> CaseSnapshot:
    """What the hotline may say about this case (read fresh, in one query)."""
    return snapshot_from_read(read_for_lookup(case_id=case.pk), now=now)


def _decision_forecast(case: dict[str, Any], hearings: list[dict[str, Any]]
                       ) -> tuple[dt.date, dt.date] | None:
    """The statistics app's 80% interval for the decision; never fails a look-up.

    Served from the statistics app's per-court, per-day cache: no query on most look-ups.
    """
    if case["status"] not in ("returned_to_mexico", "in_proceedings"):
        return None
    try:
        from garita.stats.forecasts import court_fed_by_port, forecast_decision_for_court

        # The court of the first hearing noticed (as forecast_decision), else the port's.
        first = min(hearings, default=None, key=lambda h: (
            h["noticed_at"] is None, h["noticed_at"] or h["starts_at"], h["starts_at"],
            h["h_id"]))
        court_id = first["court_id"] if first else court_fed_by_port(case["port_id"])
        noticed = (first["noticed_at"] if first and first["noticed_at"]
                   else case["created_at"])
        forecast = forecast_decision_for_court(court_id=court_id, noticed_at=noticed,
                                               status=case["status"])
    except Exception:  # a forecast is a courtesy: log it, answer without it
        logger.exception("decision forecast failed for case %s", case["id"])
        return None
    return (forecast.low, forecast.high) if forecast is not None else None
