"""Staff pages: screen an encounter, see a case's record, approve, record fear interviews."""

from __future__ import annotations

import pytest
from django.test import Client

from garita.audit.models import AuditEvent
from garita.intake.models import Case
from garita.screening.models import FearClaim, ScreeningDecision
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db


def client_for(user, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def form_data(cases, **by_index):
    data = {}
    for i, c in enumerate(cases):
        data[f"p{c.pk}-fear_of_return"] = "none"
        for key, value in by_index.get(f"p{i}", {}).items():
            data[f"p{c.pk}-{key}"] = value
    return data


def test_the_page_asks_every_person_about_fear(users):
    family = make_family(2, status="encountered")
    enc = family[0].person.encounter
    res = client_for(users["port_officer"]).get(f"/screening/encounters/{enc.pk}/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "afraid of being returned to Mexico" in html
    assert html.count('name="p') >= 2 * 8
    assert "port_director_exclusion" not in html  # only the Port Director sees it
    res = client_for(users["port_director"]).get(f"/screening/encounters/{enc.pk}/")
    assert "port_director_exclusion" in res.content.decode()


def test_an_unanswered_fear_question_is_an_error_beside_it_and_answers_are_kept(users):
    family = make_family(2, status="encountered")
    enc = family[0].person.encounter
    data = form_data(family, p0={"known_health_issue": "on"})
    del data[f"p{family[1].pk}-fear_of_return"]
    res = client_for(users["port_officer"]).post(f"/screening/encounters/{enc.pk}/", data)
    assert res.status_code == 400
    html = res.content.decode()
    assert "Ask this person about fear of return" in html
    key = f"p{family[0].pk}-known_health_issue"
    assert f'name="{key}" id="id_{key}" checked' in html
    assert not ScreeningDecision.objects.exists()


def test_submitting_shows_each_outcome_with_named_reasons_and_the_family(users):
    family = make_family(3, status="encountered")
    enc = family[0].person.encounter
    officer = client_for(users["port_officer"])
    res = officer.post(f"/screening/encounters/{enc.pk}/",
                       form_data(family, p1={"criminal_history": "on"}), follow=True)
    assert res.status_code == 200
    html = res.content.decode()
    assert "Family decision" in html and "CRIMINAL_HISTORY" in html
    assert family[1].person.full_name in html
    assert html.count('data-outcome="not_amenable"') == 4  # family + 3 people
    assert {c.status for c in Case.objects.filter(pk__in=[c.pk for c in family])} == {
        "not_amenable"}


def test_the_page_is_in_spanish(users):
    family = make_family(1, status="encountered")
    enc = family[0].person.encounter
    res = client_for(users["port_officer"], "es").get(f"/screening/encounters/{enc.pk}/")
    assert "miedo" in res.content.decode()


def test_the_case_page_is_audited_and_hidden_from_roles_without_permission(users):
    case = make_case(status="encountered")
    client_for(users["port_officer"]).post(
        f"/screening/encounters/{case.person.encounter.pk}/",
        form_data([case], p0={"fear_of_return": "asked"}))
    before = AuditEvent.objects.filter(action="screening.read").count()
    res = client_for(users["supervisor"]).get(f"/screening/cases/{case.a_number}/")
    assert res.status_code == 200
    assert "Fear of return" in res.content.decode()
    assert AuditEvent.objects.filter(action="screening.read").count() == before + 1
    res = client_for(users["port_officer"]).get(f"/screening/cases/{case.a_number}/")
    assert "Fear of return" not in res.content.decode()
    for role in ("analyst", "court_clerk", "shelter_staff"):
        res = client_for(users[role]).get(f"/screening/cases/{case.a_number}/")
        assert res.status_code in (403, 404)
        assert "pending_fear_interview" not in res.content.decode()


def test_supervisor_approves_from_the_queue_but_not_their_own(users):
    family = make_family(2, status="encountered")
    client_for(users["supervisor"]).post(
        f"/screening/encounters/{family[0].person.encounter.pk}/", form_data(family))
    ids = list(ScreeningDecision.objects.values_list("pk", flat=True))
    res = client_for(users["supervisor"]).get("/screening/approvals/")
    assert "Nothing is waiting" in res.content.decode()  # own decisions are not offered
    res = client_for(users["supervisor"]).post("/screening/approvals/", {"decision": ids})
    assert res.status_code == 403  # the refusal's own status, not a redirect
    assert "other than the officer" in res.content.decode()
    assert "screening.self_approval" in res.content.decode()
    assert not ScreeningDecision.objects.filter(approved_at__isnull=False).exists()
    res = client_for(users["port_director"]).post("/screening/approvals/",
                                                  {"decision": ids}, follow=True)
    assert "2 decision(s) approved" in res.content.decode()
    assert not ScreeningDecision.objects.filter(approved_at__isnull=True).exists()
    assert client_for(users["port_officer"]).get("/screening/approvals/").status_code == 403


def test_asylum_officer_records_an_outcome_from_the_queue(users):
    case = make_case(status="encountered")
    client_for(users["port_officer"]).post(
        f"/screening/encounters/{case.person.encounter.pk}/",
        form_data([case], p0={"fear_of_return": "volunteered"}))
    claim = FearClaim.objects.get()
    asylum = client_for(users["asylum_officer"])
    res = asylum.get("/screening/fear-interviews/")
    assert case.a_number in res.content.decode()
    res = asylum.post("/screening/fear-interviews/", {"claim": claim.pk})
    assert res.status_code == 400  # no outcome chosen: error beside the field
    res = asylum.post("/screening/fear-interviews/",
                      {"claim": claim.pk, f"c{claim.pk}-outcome": "positive",
                       f"c{claim.pk}-notes": "Amenazas de un cártel."}, follow=True)
    assert res.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "positive" and claim.notes == "Amenazas de un cártel."
    assert Case.objects.get(pk=case.pk).status == "not_amenable"
    assert client_for(users["port_officer"]).get("/screening/fear-interviews/").status_code == 403


def test_the_index_lists_encounters_waiting_for_screening(users):
    family = make_family(2, status="encountered")
    res = client_for(users["port_officer"]).get("/screening/")
    assert f"/screening/encounters/{family[0].person.encounter.pk}/" in res.content.decode()
    assert client_for(users["analyst"]).get("/screening/").status_code == 403


def test_a_court_clerk_records_fear_on_a_hearing_day_and_the_case_waits(users):
    case = make_case(status="in_proceedings")
    clerk = client_for(users["court_clerk"])
    res = clerk.get(f"/screening/cases/{case.a_number}/fear/")
    assert res.status_code == 200
    res = clerk.post(f"/screening/cases/{case.a_number}/fear/", {})
    assert res.status_code == 400 and not FearClaim.objects.exists()
    res = clerk.post(f"/screening/cases/{case.a_number}/fear/", {"how": "volunteered"},
                     follow=True)
    assert "will not be returned" in res.content.decode()
    assert Case.objects.get(pk=case.pk).status == "pending_fear_interview"
    res = clerk.post(f"/screening/cases/{case.a_number}/fear/", {"how": "asked"})
    assert res.status_code == 409  # a rule of the case, not bad input
    assert "already has an open fear claim" in res.content.decode()
    res = client_for(users["analyst"]).get(f"/screening/cases/{case.a_number}/fear/")
    assert res.status_code == 403


def test_approving_several_is_all_or_nothing(users):
    """One refused decision among the ticked ones: none is approved, the page says why."""
    family = make_family(2, status="encountered")
    client_for(users["port_officer"]).post(
        f"/screening/encounters/{family[0].person.encounter.pk}/", form_data(family))
    ids = list(ScreeningDecision.objects.order_by("pk").values_list("pk", flat=True))
    director = client_for(users["port_director"])
    assert director.post("/screening/approvals/", {"decision": ids[:1]}).status_code == 302
    res = director.post("/screening/approvals/", {"decision": ids})  # first one again
    assert res.status_code == 409
    assert "screening.already_approved" in res.content.decode()
    assert ScreeningDecision.objects.filter(approved_at__isnull=True).count() == len(ids) - 1
    assert director.post("/screening/approvals/", {"decision": ["x"]}).status_code == 400
    assert director.post("/screening/approvals/", {"decision": [999999]}).status_code == 404


def test_fear_refusals_answer_with_their_status(users):
    case = make_case(status="nta_issued")
    clerk = client_for(users["port_officer"])
    res = clerk.post(f"/screening/cases/{case.a_number}/fear/", {"how": "asked"})
    assert res.status_code == 302
    res = clerk.post(f"/screening/cases/{case.a_number}/fear/", {"how": "asked"})
    assert res.status_code == 409 and FearClaim.objects.filter(case=case).count() == 1
    claim = FearClaim.objects.get(case=case)
    asylum = client_for(users["asylum_officer"])
    data = {"claim": claim.pk, f"c{claim.pk}-outcome": "negative", f"c{claim.pk}-notes": ""}
    assert asylum.post("/screening/fear-interviews/", data).status_code == 302
    res = asylum.post("/screening/fear-interviews/", data)  # decided already
    assert res.status_code == 409
    claim.refresh_from_db()
    assert claim.status == "negative"
    assert asylum.post("/screening/fear-interviews/", {"claim": "x"}).status_code == 400
    assert asylum.post("/screening/fear-interviews/", {"claim": 999999}).status_code == 404
