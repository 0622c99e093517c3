"""A supervisor schedules a case's first hearing in the browser, issues the Notice to
Appear, and downloads it: the PDF names the person's A-number and the court."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_supervisor_schedules_a_case_and_downloads_its_notice(page, live_server, make_user,
                                                              login, tmp_path):
    from pypdf import PdfReader

    from garita.hearings.reference import ensure_hearing_reference, ensure_sessions
    from garita.intake.models import Address
    from tests.factories import make_case

    ensure_hearing_reference()
    today = timezone.now().date()
    ensure_sessions(today, today + dt.timedelta(days=40), master_capacity=5)
    case = make_case(status="amenable")
    Address.objects.create(case=case, line1="Calle Benito Juárez 123", city="Tijuana",
                           confirmed=True, given_at=timezone.now())
    supervisor = make_user("supervisor")
    login(page, supervisor)
    page.goto(f"{live_server.url}/hearings/cases/{case.a_number}/")
    page.click("#schedule-button")
    page.wait_for_selector("table.hearings")
    assert "San Diego Immigration Court" in page.content()
    page.click("#nta-button")
    page.wait_for_selector("a.pdf")
    with page.expect_download() as info:
        page.locator("a.pdf").first.click()
    target = tmp_path / "nta.pdf"
    info.value.save_as(target)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert case.a_number in text
    assert "San Diego Immigration Court" in " ".join(text.split())
