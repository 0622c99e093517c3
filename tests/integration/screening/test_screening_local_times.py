"""Screening pages show each time at the port's own clock, with its zone: a Laredo
encounter at Central time, not converted to Tijuana's (the site's default zone)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from garita.intake.models import Encounter
from garita.screening.models import FearClaim, ScreeningDecision
from tests.factories import make_case

pytestmark = pytest.mark.django_db

CENTRAL = ZoneInfo("America/Chicago")
TIJUANA = ZoneInfo("America/Tijuana")


def client_for(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def shown(at: dt.datetime) -> str:
    local = at.astimezone(CENTRAL)
    assert local.utcoffset() != at.astimezone(TIJUANA).utcoffset()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def tijuana(at: dt.datetime) -> str:
    return f"{at.astimezone(TIJUANA):%Y-%m-%d %H:%M}"


def test_a_laredo_encounter_decision_and_fear_claim_are_shown_at_central_time(make_user):
    officer = make_user("port_officer", port_slug="laredo")
    director = make_user("port_director", port_slug="laredo")
    asylum = make_user("asylum_officer", port_slug="laredo")
    case = make_case(status="encountered", port_slug="laredo")
    enc = case.person.encounter
    Encounter.objects.filter(pk=enc.pk).update(
        occurred_at=dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC))
    enc.refresh_from_db()
    assert f"{enc.occurred_at.astimezone(CENTRAL):%H:%M %Z}" == "14:30 CST"

    page = client_for(officer).get("/screening/").content.decode()
    assert shown(enc.occurred_at) in page and tijuana(enc.occurred_at) not in page
    page = client_for(officer).get(f"/screening/encounters/{enc.pk}/").content.decode()
    assert shown(enc.occurred_at) in page and tijuana(enc.occurred_at) not in page

    res = client_for(officer).post(f"/screening/encounters/{enc.pk}/",
                                   {f"p{case.pk}-fear_of_return": "volunteered"})
    assert res.status_code in (200, 302)
    decision = ScreeningDecision.objects.get(case=case)
    claim = FearClaim.objects.get(case=case)

    page = client_for(director).get("/screening/approvals/").content.decode()
    assert shown(decision.decided_at) in page
    page = client_for(asylum).get("/screening/fear-interviews/").content.decode()
    assert shown(claim.raised_at) in page
    page = client_for(asylum).get(f"/screening/cases/{case.a_number}/").content.decode()
    assert shown(decision.decided_at) in page
    assert shown(claim.raised_at) in page
