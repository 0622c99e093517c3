"""Screening API: evaluate without saving, screen an encounter, approve, fear claims, reads."""

from __future__ import annotations

import json

import pytest

from garita.audit.models import AuditEvent
from garita.intake.models import Case
from garita.screening.models import FearClaim, ScreeningDecision
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db

PROFILE = {
    "port": "san-ysidro", "encounter_date": "2019-02-13", "date_of_birth": "1985-01-01",
    "nationality": "SLV", "family_type": "family_unit",
    "processed_for_expedited_removal": False, "returning_lpr": False, "parole": False,
    "known_health_issue": False, "criminal_history": False, "government_interest": False,
    "pregnant": False, "fear_of_return": "none", "fear_interview_outcome": None,
    "port_director_exclusion": None,
}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def answers(cases, **by_index):
    return {"people": [{"case_id": c.pk, "fear_of_return": "none", **by_index.get(f"p{i}", {})}
                       for i, c in enumerate(cases)]}


def test_evaluate_returns_the_same_json_as_the_cli_and_saves_nothing(users, api_client_for):
    client = api_client_for(users["port_officer"])
    res = post(client, "/api/v1/screening/evaluate", PROFILE)
    assert res.status_code == 200
    assert res.json() == {"outcome": "amenable", "reasons": [], "rule_set": "v1"}
    res = post(client, "/api/v1/screening/evaluate", {**PROFILE, "encounter_date": "2019-02-12"})
    assert [r["code"] for r in res.json()["reasons"]] == ["NOT_ENROLLING"]
    assert not ScreeningDecision.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({**PROFILE, "nationality": "ZZZ"}, "nationality"),
     ({k: v for k, v in PROFILE.items() if k != "pregnant"}, "pregnant"),
     ({**PROFILE, "pregnant": "false"}, "pregnant"),
     ([1, 2, 3], "profile")],
)
def test_evaluate_refuses_bad_input_with_a_stable_code(users, api_client_for, body, field):
    res = post(api_client_for(users["port_officer"]), "/api/v1/screening/evaluate", body)
    assert res.status_code in (400, 422)
    data = res.json()
    assert data["code"] in ("screening.profile_invalid", "request.invalid")
    if data["code"] == "screening.profile_invalid":
        assert data["field"] == field


def test_evaluate_needs_a_screening_role(users, api_client_for):
    res = post(api_client_for(users["analyst"]), "/api/v1/screening/evaluate", PROFILE)
    assert res.status_code == 403
    assert res.json()["code"] == "permission.denied"


def test_an_officer_screens_a_family_and_a_supervisor_approves(users, api_client_for):
    family = make_family(4, status="encountered")
    encounter = family[0].person.encounter
    officer = api_client_for(users["port_officer"])
    res = post(officer, f"/api/v1/screening/encounters/{encounter.pk}/decisions",
               answers(family, p2={"fear_of_return": "asked"}))
    assert res.status_code == 201, res.content
    rows = res.json()
    assert {r["outcome"] for r in rows} == {"pending_fear_interview"}
    assert rows[0]["family_reasons"][0]["code"] == "FEAR_CLAIM_OPEN"
    assert rows[0]["family_reasons"][0]["name"] == family[2].person.full_name
    supervisor = api_client_for(users["supervisor"])
    res = post(supervisor, f"/api/v1/screening/decisions/{rows[0]['id']}/approve", {})
    assert res.status_code == 200
    assert res.json()["approved_by"] == users["supervisor"].username
    res = post(officer, f"/api/v1/screening/decisions/{rows[1]['id']}/approve", {})
    assert res.status_code == 403


def test_screening_with_a_wrong_type_is_a_422_and_nothing_is_written(users, api_client_for):
    family = make_family(2, status="encountered")
    encounter = family[0].person.encounter
    body = answers(family)
    body["people"][0]["parole"] = "maybe"
    res = post(api_client_for(users["port_officer"]),
               f"/api/v1/screening/encounters/{encounter.pk}/decisions", body)
    assert res.status_code == 422
    assert res.json()["code"] == "request.invalid"
    assert not ScreeningDecision.objects.exists()
    res = post(api_client_for(users["port_officer"]),
               f"/api/v1/screening/encounters/{encounter.pk}/decisions",
               {"people": [{"case_id": family[0].pk, "fear_of_return": "none"}]})
    assert res.status_code == 400
    assert res.json()["code"] == "screening.incomplete_family"
    assert {c.status for c in Case.objects.filter(pk__in=[c.pk for c in family])} == {
        "encountered"}


def test_an_unknown_encounter_is_a_404(users, api_client_for):
    res = post(api_client_for(users["port_officer"]),
               "/api/v1/screening/encounters/999999/decisions", {"people": []})
    assert res.status_code == 404
    assert res.json()["code"] == "encounter.not_found"


def test_fear_claim_and_interview_through_the_api(users, api_client_for):
    case = make_case(status="nta_issued")
    res = post(api_client_for(users["legal_representative"]), "/api/v1/screening/fear-claims",
               {"a_number": case.a_number, "how": "volunteered"})
    assert res.status_code == 404  # not their client: the case is not revealed
    res = post(api_client_for(users["court_clerk"]), "/api/v1/screening/fear-claims",
               {"a_number": case.a_number, "how": "volunteered"})
    assert res.status_code == 201
    claim_id = res.json()["id"]
    res = post(api_client_for(users["port_officer"]),
               f"/api/v1/screening/fear-claims/{claim_id}/interview", {"outcome": "negative"})
    assert res.status_code == 403
    res = post(api_client_for(users["asylum_officer"]),
               f"/api/v1/screening/fear-claims/{claim_id}/interview", {"outcome": "negative"})
    assert res.status_code == 200 and res.json()["status"] == "negative"
    assert FearClaim.objects.get(pk=claim_id).interviewed_by == users["asylum_officer"]


def test_case_screening_read_is_scoped_audited_and_hides_fear_data(users, api_client_for):
    case = make_case(status="encountered")
    encounter = case.person.encounter
    post(api_client_for(users["port_officer"]),
         f"/api/v1/screening/encounters/{encounter.pk}/decisions",
         answers([case], p0={"fear_of_return": "volunteered"}))
    res = api_client_for(users["port_officer"]).get(f"/api/v1/screening/cases/{case.a_number}")
    assert res.status_code == 200
    assert "fear_claims" not in res.json()
    res = api_client_for(users["asylum_officer"]).get(f"/api/v1/screening/cases/{case.a_number}")
    assert res.json()["fear_claims"][0]["status"] == "open"
    assert AuditEvent.objects.filter(action="fear.read").count() == 1
    for role in ("analyst", "court_clerk", "shelter_staff"):
        res = api_client_for(users[role]).get(f"/api/v1/screening/cases/{case.a_number}")
        assert res.status_code in (403, 404)
        assert "decisions" not in res.json()
    res = api_client_for(users["port_officer"]).get("/api/v1/screening/cases/garbage")
    assert res.status_code in (400, 404)


def test_the_openapi_schema_lists_the_screening_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/screening/evaluate", "/api/v1/screening/fear-claims",
                 "/api/v1/screening/encounters/{encounter_id}/decisions",
                 "/api/v1/screening/cases/{a_number}"):
        assert path in paths
