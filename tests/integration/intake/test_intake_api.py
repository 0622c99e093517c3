"""The intake JSON API: a whole family in one request, scoped reads in any A-number
spelling, and bad input refused with 4xx and a stable code, never half-written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.intake.models import Case, Encounter, Person

pytestmark = pytest.mark.django_db

URL = "/api/v1/intake/encounters"


@pytest.fixture
def body():
    return {
        "port": "san-ysidro",
        "occurred_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "family_type": "family_unit",
        "members": [
            {"given_names": "María José", "surnames": "Núñez de la O'Connor",
             "date_of_birth": "1988-03-02", "nationality": "HND", "languages": ["spa"],
             "relationship": "head"},
            {"given_names": "José Luis", "surnames": "Pérez Núñez", "date_of_birth": "1986-07-09",
             "nationality": "HND", "languages": ["spa"]},
            {"given_names": "Dayana", "surnames": "Pérez Núñez", "date_of_birth": "2012-01-05",
             "nationality": "HND", "languages": ["spa"]},
            {"given_names": "Kevin", "surnames": "Pérez Núñez", "date_of_birth": "2016-11-30",
             "nationality": "hnd", "languages": ["spa", "quc"]},
        ],
        "address": {"line1": "Calle Galileo 239", "neighborhood": "Postal", "city": "Tijuana"},
        "contacts": [{"kind": "phone", "value": "+52 664 123 4567"}],
    }


@pytest.fixture
def officer(users, api_client_for):
    return api_client_for(users["port_officer"])


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_a_family_of_four_is_recorded_in_one_request(officer, body):
    res = post(officer, URL, body)
    assert res.status_code == 201, res.content
    out = res.json()
    assert len(out["cases"]) == 4
    assert out["next"] == f"/screening/encounters/{out['encounter_id']}/"
    head = out["cases"][0]["person"]
    assert f"{head['given_names']} {head['surnames']}" == "María José Núñez de la O'Connor"
    assert Person.objects.filter(surnames="Núñez de la O'Connor").exists()


@pytest.mark.parametrize("mutate,code,field", [
    (lambda b: b["members"][0].update(date_of_birth="2999-01-01"), "person.dob_future",
     "members.0.date_of_birth"),
    (lambda b: b["members"][1].update(nationality="XYZ"), "person.nationality_unknown",
     "members.1.nationality"),
    (lambda b: b["members"][2].update(given_names="D4yana"), "person.name_invalid",
     "members.2.given_names"),
    (lambda b: b["members"][3].update(languages=["qqq"]), "person.language_unknown",
     "members.3.languages"),
    (lambda b: b["contacts"][0].update(value="555"), "contact.phone_invalid", "contacts.0.value"),
    (lambda b: b.update(members=[]), "encounter.empty_family", "members"),
    (lambda b: b.update(family_type="single_adult"), "encounter.single_adult_mismatch",
     "family_type"),
    (lambda b: b.update(port="atlantis"), "port.not_found", "port"),
    (lambda b: b["address"].update(city=""), "address.city_required", "address.city"),
    (lambda b: b.update(shelter_id=987654), "shelter.not_found", "shelter_id"),
])
def test_bad_input_is_refused_with_a_code_and_nothing_is_written(officer, body, mutate, code,
                                                                 field):
    mutate(body)
    before = (Encounter.objects.count(), Case.objects.count(), AuditEvent.objects.count())
    res = post(officer, URL, body)
    assert res.status_code == 400, res.content
    out = res.json()
    assert out["code"] == "validation.failed"
    assert {"code": code, "field": field} in [{"code": e["code"], "field": e.get("field")}
                                              for e in out["errors"]]
    assert all(e["message"] for e in out["errors"])
    assert (Encounter.objects.count(), Case.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(members="four people"),
    lambda b: b["members"][0].update(given_names=12345),
    lambda b: b["members"][0].update(date_of_birth="yesterday"),
    lambda b: b["members"][0].update(languages="spa"),
    lambda b: b.update(address=["Tijuana"]),
    lambda b: b.update(shelter_id="Casa del Migrante"),
    lambda b: b.pop("family_type"),
])
def test_wrong_json_types_are_422_request_invalid(officer, body, mutate):
    mutate(body)
    res = post(officer, URL, body)
    assert res.status_code == 422
    assert res.json()["code"] == "request.invalid"
    assert Encounter.objects.count() == 0


def test_a_body_that_is_not_json_is_refused(officer):
    res = officer.post(URL, data="{not json", content_type="application/json")
    assert 400 <= res.status_code < 500
    assert Encounter.objects.count() == 0


def test_a_five_megabyte_body_is_413(officer):
    res = officer.post(URL, data=b"[" + b" " * (5 * 1024 * 1024) + b"]",
                       content_type="application/json")
    assert res.status_code == 413
    assert res.json()["code"] == "request.too_large"


def test_recording_needs_authentication(client, body):
    res = post(client, URL, body)
    assert res.status_code == 401
    assert res.json()["code"] == "auth.required"


def test_a_representative_cannot_record_an_encounter(users, api_client_for, body):
    res = post(api_client_for(users["legal_representative"]), URL, body)
    assert res.status_code == 403
    assert res.json()["code"] == "permission.denied"


def test_a_case_is_read_in_any_a_number_spelling(officer, body):
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    d = a_number[1:]
    for spelling in (a_number, a_number.lower(), f"a-{d[:3]}-{d[3:6]}-{d[6:]}",
                     f"{d[:3]}%20{d[3:6]}%20{d[6:]}"):
        res = officer.get(f"/api/v1/intake/cases/{spelling}")
        assert res.status_code == 200, spelling
        assert res.json()["a_number"] == a_number
        assert res.json()["addresses"][0]["is_placeholder"] is False


@pytest.mark.parametrize("garbage", ["A12", "hello", "A1234567890123", "A-000-000-000",
                                     "%F0%9F%92%A5", "1e9"])
def test_garbage_a_numbers_are_400_anumber_invalid(officer, garbage):
    res = officer.get(f"/api/v1/intake/cases/{garbage}")
    assert res.status_code == 400
    assert res.json()["code"] == "anumber.invalid"


def test_an_unknown_and_an_invisible_case_look_the_same(officer, users, api_client_for, body):
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    rep = api_client_for(users["legal_representative"])
    hidden = rep.get(f"/api/v1/intake/cases/{a_number}")
    missing = rep.get("/api/v1/intake/cases/A999999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"code": "case.not_found",
                                               "message": hidden.json()["message"]}


def test_a_representative_cannot_walk_a_numbers_through_the_list(officer, users,
                                                                 api_client_for, body):
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    rep = api_client_for(users["legal_representative"])
    assert rep.get(f"/api/v1/intake/cases?q={a_number}").json()["total"] == 0
    assert rep.get("/api/v1/intake/cases").json()["items"] == []


def test_the_case_list_is_paginated_and_searchable(officer, body):
    post(officer, URL, body)
    res = officer.get("/api/v1/intake/cases?per_page=3&page=2").json()
    assert res["total"] == 4 and res["pages"] == 2 and len(res["items"]) == 1
    found = officer.get("/api/v1/intake/cases", {"q": "O'Connor"}).json()
    assert found["total"] == 1


def test_a_page_past_the_end_answers_the_last_page(officer, body):
    post(officer, URL, body)
    for page in (3, 4276636720873001984, 2**63 - 1):  # an offset no database can hold
        res = officer.get(f"/api/v1/intake/cases?per_page=3&page={page}")
        assert res.status_code == 200
        data = res.json()
        assert data["page"] == 2 and data["pages"] == 2 and len(data["items"]) == 1
    res = officer.get("/api/v1/intake/cases?page=0").json()
    assert res["page"] == 1


def test_the_case_list_refuses_a_non_integer_page(officer):
    res = officer.get("/api/v1/intake/cases?page=abc")
    assert res.status_code == 422
    assert res.json()["code"] == "request.invalid"


def test_reading_contacts_through_the_api_is_audited(officer, body):
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    res = officer.get(f"/api/v1/intake/cases/{a_number}/contacts")
    assert res.json()["items"][0]["value"] == "+526641234567"
    assert AuditEvent.objects.filter(action="contact.read").count() == 1


def test_address_change_appearance_and_consent_through_the_api(officer, users, api_client_for,
                                                               body):
    from garita.intake.models import Shelter

    shelter = Shelter.objects.create(name="Instituto Madre Asunta")
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    res = post(officer, f"/api/v1/intake/cases/{a_number}/address",
               {"address": {"line1": "Facebook", "city": "Tijuana"}})
    assert res.status_code == 201 and res.json()["is_placeholder"] is True

    rep_user = users["legal_representative"]
    rep = api_client_for(rep_user)
    res = post(rep, f"/api/v1/intake/cases/{a_number}/appearances",
               {"date_of_birth": "1988-03-02"})
    assert res.status_code == 201, res.content
    assert rep.get(f"/api/v1/intake/cases/{a_number}").status_code == 200
    res = post(rep, f"/api/v1/intake/appearances/{res.json()['id']}/withdraw", {})
    assert res.status_code == 200
    assert rep.get(f"/api/v1/intake/cases/{a_number}").status_code == 404

    res = post(officer, f"/api/v1/intake/cases/{a_number}/consents",
               {"grantee_type": "shelter", "shelter_id": shelter.pk})
    assert res.status_code == 201
    res = post(officer, f"/api/v1/intake/consents/{res.json()['id']}/revoke", {})
    assert res.json()["revoked_at"] is not None


def test_a_bad_consent_grantee_is_refused(officer, body):
    a_number = post(officer, URL, body).json()["cases"][0]["a_number"]
    res = post(officer, f"/api/v1/intake/cases/{a_number}/consents", {"grantee_type": "cousin"})
    assert res.status_code == 400
    assert res.json()["errors"][0]["code"] == "consent.grantee_invalid"


def test_the_openapi_schema_lists_the_intake_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/intake/encounters" in paths
    assert "/api/v1/intake/cases/{a_number}" in paths
