"""The hearing day in the browser: a port officer checks a person in on time and sends an
escort run that reaches the court late; the judge cannot record a failure to appear (the page
says why, with a 409) and continues the hearing instead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def _local(value: dt.datetime, tz: str) -> str:
    from garita.hearings.domain import zone

    return value.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


def test_checked_in_on_time_escorted_late_is_continued_not_a_no_show(
        page, live_server, make_user, login, browser):
    from garita.hearings import services
    from garita.hearings.models import EscortRun, Hearing
    from garita.hearings.reference import ensure_hearing_reference, ensure_sessions
    from garita.intake.models import Address
    from garita.notices import services as notices
    from tests.factories import make_case

    ensure_hearing_reference()
    today = timezone.now().date()
    ensure_sessions(today - dt.timedelta(days=1), today + dt.timedelta(days=60),
                    master_capacity=5)
    case = make_case(status="amenable")
    Address.objects.create(case=case, line1="Calle Benito Juárez 123", city="Tijuana",
                           confirmed=True, given_at=timezone.now())
    clerk, officer, judge = (make_user(r) for r in ("court_clerk", "port_officer", "judge"))
    [h] = services.hearing_schedule(actor=clerk, case=case)
    nta, _pin = notices.nta_issue(actor=officer, case=case)
    notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                  acknowledgement="signed")
    # The hearing began an hour ago; the person reported at the port four hours before it.
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    Hearing.objects.filter(pk=h.pk).update(starts_at=start,
                                           report_at=start - dt.timedelta(hours=4))
    tz = "America/Tijuana"
    day = (start - dt.timedelta(hours=4)).astimezone(
        __import__("zoneinfo").ZoneInfo(tz)).date().isoformat()

    # The port officer: check in at the report time, form the run, record the late arrival.
    login(page, officer)
    page.goto(f"{live_server.url}/hearings/hearing-day/san-ysidro/?date={day}")
    assert case.a_number in page.content()
    page.fill(f"#at-{h.pk}", _local(start - dt.timedelta(hours=4), tz))
    with page.expect_navigation():
        page.click(f"#check-in-{h.pk}")
    assert "Check-in recorded" in page.content()
    page.fill("#departed_at", _local(start - dt.timedelta(minutes=30), tz))
    with page.expect_navigation():
        page.click("#escort-button")
    run = EscortRun.objects.get()
    page.fill(f"#arrived-{run.pk}", _local(start + dt.timedelta(minutes=40), tz))
    with page.expect_navigation():
        page.click(f"#arrive-{run.pk}")
    assert "escorted late" in page.content()

    # The judge: the page says up front why no absence can be recorded; trying gets a 409.
    judge_page = browser.new_context(locale="en-US").new_page()
    login(judge_page, judge)
    judge_page.goto(f"{live_server.url}/hearings/cases/{case.a_number}/")
    assert judge_page.is_visible(f"#absence-refusal-{h.pk}")
    judge_page.select_option(f"#outcome-{h.pk}", "did_not_appear")
    with judge_page.expect_response(lambda r: r.request.method == "POST") as resp:
        judge_page.click(f"#outcome-button-{h.pk}")
    assert resp.value.status == 409
    assert "a late escort is never a failure to appear" in judge_page.inner_text("#refusal")
    h.refresh_from_db()
    assert h.outcome == ""
    judge_page.select_option(f"#outcome-{h.pk}", "continued")
    with judge_page.expect_navigation():
        judge_page.click(f"#outcome-button-{h.pk}")
    assert "Outcome recorded" in judge_page.content()
    h.refresh_from_db()
    assert h.outcome == "continued"
    assert Hearing.objects.filter(previous=h, status="scheduled").exists()
    judge_page.context.close()
