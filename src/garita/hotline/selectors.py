"""Reads for the hotline: a case's snapshot (no names, no screening data) and the languages.

`case_snapshot` copies only what domain.statements may say; it is the one place the hotline
reads hearing data, so nothing else (names, nationality, fear claims) can leak into a reply.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from garita.hearings.models import Hearing, HearingStatus
from garita.hotline.domain import CaseSnapshot, HearingSnapshot, LegalProvider
from garita.hotline.models import HotlineLanguage, PromptRecording
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
        recs.setdefault(r.language_id, {})[r.prompt] = r  # type: ignore[attr-defined]
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
    return dict(_load()["recs"].get(language.pk, {}))


post_save.connect(clear_cache, sender=HotlineLanguage, dispatch_uid="hotline-lang-save")
post_delete.connect(clear_cache, sender=HotlineLanguage, dispatch_uid="hotline-lang-delete")
post_save.connect(clear_cache, sender=PromptRecording, dispatch_uid="hotline-rec-save")
post_delete.connect(clear_cache, sender=PromptRecording, dispatch_uid="hotline-rec-delete")


def _providers(raw: object) -> tuple[LegalProvider, ...]:
    out = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item.get("name"):
                out.append(LegalProvider(name=str(item["name"]), phone=str(item.get("phone", "")),
                                         address=str(item.get("address", ""))))
    return tuple(out)


def case_snapshot(case: Case, *, now: dt.datetime | None = None) -> CaseSnapshot:
    """What the hotline may say about this case, read in three small queries."""
    now = now or timezone.now()
    # One query: a case has a handful of hearings, so sort them out here.
    rows = list(Hearing.objects.filter(case_id=case.pk)
                .select_related("court", "location", "report_port").order_by("starts_at"))
    upcoming = [h for h in rows if h.status == HearingStatus.SCHEDULED
                and h.starts_at >= now - IN_PROGRESS]
    nxt = upcoming[0] if upcoming else None
    had_hearing = bool(rows)
    unresolved = any(h.status == HearingStatus.SCHEDULED and h.starts_at < now - IN_PROGRESS
                     and not h.outcome for h in rows)
    court_tz = "America/Los_Angeles"
    providers: tuple[LegalProvider, ...] = ()
    snap_hearing = None
    if nxt is not None:
        court_tz = nxt.court.timezone
        providers = _providers(nxt.court.legal_service_providers)
        port = nxt.report_port
        snap_hearing = HearingSnapshot(
            starts_at=nxt.starts_at, timezone=nxt.court.timezone, court_name=nxt.court.name,
            place_name=nxt.location.name, place_address=nxt.location.address,
            map_url=nxt.location.map_url, report_at=nxt.report_at,
            report_port_name=port.name if port else "",
            report_port_address=port.address if port else "",
            report_timezone=port.timezone if port else "",
        )
    elif had_hearing:
        last = rows[-1]
        court_tz = last.court.timezone
        providers = _providers(last.court.legal_service_providers)
    updated = max(
        [t for t in (case.updated_at, case.status_changed_at,
                     nxt.created_at if nxt else None, nxt.noticed_at if nxt else None) if t]
    )
    return CaseSnapshot(
        decision_forecast=_decision_forecast(case),
        a_number=case.a_number, status=case.status, status_changed_at=case.status_changed_at,
        info_changed_at=case.info_changed_at, updated_at=updated, next_hearing=snap_hearing,
        had_hearing=had_hearing, unresolved_past_hearing=unresolved, court_timezone=court_tz,
        legal_providers=providers,
    )


def _decision_forecast(case: Case) -> tuple[dt.date, dt.date] | None:
    """The statistics app's 80% interval for the decision; never fails a look-up."""
    if case.status not in ("returned_to_mexico", "in_proceedings"):
        return None
    try:
        from garita.stats.forecasts import forecast_decision

        forecast = forecast_decision(case, refresh=False)
    except Exception:  # a forecast is a courtesy: log it, answer without it
        logger.exception("decision forecast failed for case %s", case.pk)
        return None
    return (forecast.low, forecast.high) if forecast is not None else None
