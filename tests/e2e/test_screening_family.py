"""An officer screens a family of four on one page; a supervisor approves the decisions."""

import pytest

from garita.intake.models import Case
from garita.screening.models import FearClaim, ScreeningDecision
from tests.factories import make_family

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_screens_a_family_of_four_and_a_supervisor_approves(
    page, live_server, users, login, browser
):
    family = make_family(4, status="encountered")
    encounter = family[0].person.encounter
    login(page, users["port_officer"])
    page.goto(f"{live_server.url}/screening/encounters/{encounter.pk}/")
    assert page.get_by_text("Family decision").count() == 0
    # Every person is asked about fear; the mother says she is afraid.
    for i, case in enumerate(family):
        choice = "asked" if i == 1 else "none"
        page.check(f"input[name='p{case.pk}-fear_of_return'][value='{choice}']")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.get_by_text("Screening recorded.").is_visible()
    family_box = page.locator("#family-decision")
    assert family_box.get_by_text("Waiting for a fear interview").is_visible()
    assert family[1].person.full_name in family_box.inner_text()
    assert page.locator("[data-outcome='pending_fear_interview']").count() == 5
    assert FearClaim.objects.get().case_id == family[1].pk
    assert {c.status for c in Case.objects.filter(pk__in=[c.pk for c in family])} == {
        "pending_fear_interview"}

    page.context.clear_cookies()
    login(page, users["supervisor"])
    page.goto(f"{live_server.url}/screening/approvals/")
    for case in family:
        assert case.a_number in page.content()
    for box in page.locator("input[name='decision']").all():
        box.check()
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.get_by_text("4 decision(s) approved.").is_visible()
    approved = ScreeningDecision.objects.filter(approved_by=users["supervisor"])
    assert approved.count() == 4
    assert not approved.filter(decided_by=users["supervisor"]).exists()
