"""The NTA and tear sheet PDFs say what the law requires, in English and Spanish (pypdf)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from garita.hearings import services
from garita.notices import services as notices
from garita.notices.models import Notice
from tests.factories import make_case
from tests.integration.hearings.conftest import add_address

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)


def _nta(clerk, officer, language: str = "", langs=None):
    case = make_case(status="amenable", given_names="José Ángel", surnames="Muñoz Peña",
                     languages=langs or ["spa"])
    add_address(case)
    [h] = services.hearing_schedule(actor=clerk, case=case)
    nta, pin = notices.nta_issue(actor=officer, case=case, language=language)
    return case, h, nta, pin


def test_english_nta_has_every_required_element(clerk, officer, courts):
    case, h, nta, pin = _nta(clerk, officer, language="en")
    text = " ".join(text_of(notices.notice_pdf(nta)).split())
    for needle in ("Notice to Appear", "Nature of the proceedings", "Legal authority",
                   "Acts or conduct alleged", "Charges", "Time and place of your hearing",
                   "Right to a lawyer", "Casa Cornelia Law Center", "EOIR-33", "5 days",
                   "Failure to appear", case.a_number, "José Ángel Muñoz Peña", pin,
                   "San Diego Immigration Court", "HND", "Spanish",
                   "Immigration court where this notice is filed", "401 West A Street"):
        assert needle in text, needle
    local = h.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    assert f"{local:%Y-%m-%d %H:%M}" in text
    assert "— —" not in text  # a provider without a phone prints no empty column


def test_portuguese_speaker_gets_an_english_nta_recorded_as_english(clerk, officer, courts):
    _case, _h, nta, _pin = _nta(clerk, officer, langs=["por"])
    assert nta.language == "en"
    text = " ".join(text_of(notices.notice_pdf(nta)).split())
    assert "Notice to Appear" in text


def test_spanish_nta_is_in_spanish_with_accents(clerk, officer, courts):
    _case, _h, nta, pin = _nta(clerk, officer, language="es")
    text = " ".join(text_of(notices.notice_pdf(nta)).split())
    for needle in ("Notificación de Comparecencia", "Naturaleza del procedimiento",
                   "Hora y lugar de su audiencia", "José Ángel Muñoz Peña", "EOIR-33", pin):
        assert needle in text, needle


def test_tear_sheet_is_in_english_and_the_persons_language(clerk, officer, courts):
    case, h, _nta_, _pin = _nta(clerk, officer, langs=["por"])
    sheet = Notice.objects.get(case=case, kind="tear_sheet")
    text = " ".join(text_of(notices.notice_pdf(sheet)).split())
    assert "Where and when to report" in text
    assert "Onde e quando se apresentar" in text
    assert "San Ysidro" in text
    local = h.report_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Tijuana"))
    assert f"{local:%Y-%m-%d %H:%M}" in text


def test_haitian_creole_tear_sheet(clerk, officer, courts):
    case, _h, _nta_, _pin = _nta(clerk, officer, langs=["hat"])
    sheet = Notice.objects.get(case=case, kind="tear_sheet")
    text = " ".join(text_of(notices.notice_pdf(sheet)).split())
    assert "Ki kote ak ki lè pou w prezante" in text


def test_a_laredo_nta_and_tear_sheet_state_central_times_and_the_ports_arrival_day(
        clerk, officer, courts):
    """Every time on the papers a Laredo person keeps is Laredo's (CST/CDT), with the zone;
    the day of arrival is the port's day, not the UTC day (an evening arrival at 19:30 CST
    is 01:30 UTC the next day)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from garita.intake.models import Encounter

    central = ZoneInfo("America/Chicago")
    case = make_case(status="amenable", port_slug="laredo")
    arrived = dt.datetime(2026, 10, 30, 19, 30, tzinfo=central)
    Encounter.objects.filter(pk=case.person.encounter_id).update(occurred_at=arrived)
    add_address(case)
    [h] = services.hearing_schedule(actor=clerk, case=case)
    assert h.report_port.slug == "laredo" and h.location.tz == "America/Chicago"
    nta, _pin = notices.nta_issue(actor=officer, case=case, language="en")
    text = " ".join(text_of(notices.notice_pdf(nta)).split())
    assert "on 2026-10-30" in text and "2026-10-31" not in text
    for at in (h.starts_at, h.report_at, nta.issued_at):
        local = at.astimezone(central)
        assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in text
    sheet = Notice.objects.get(case=case, kind="tear_sheet")
    text = " ".join(text_of(notices.notice_pdf(sheet)).split())
    for at in (h.starts_at, h.report_at):
        local = at.astimezone(central)
        assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in text
