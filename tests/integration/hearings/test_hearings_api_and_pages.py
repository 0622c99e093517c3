"""The API and the staff pages: stable 4xx codes on bad input, nothing half-written."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from garita.hearings.models import Hearing
from garita.notices.models import Notice
from tests.factories import make_case
from tests.integration.hearings.conftest import add_address, staff

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    from garita.accounts.models import ApiToken

    _, token = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_schedule_issue_serve_and_download_through_the_api(clerk, officer, amenable_case):
    a = amenable_case.a_number
    r = post(api(clerk), f"/api/v1/hearings/cases/{a}/schedule", {})
    assert r.status_code == 201, r.content
    body = r.json()[0]
    assert body["court"] == "san-diego" and body["starts_at"].endswith(("-07:00", "-08:00"))
    r = post(api(officer), "/api/v1/notices/nta", {"a_number": a})
    assert r.status_code == 201, r.content
    nta = r.json()
    assert "pin" not in nta
    r = post(api(officer), f"/api/v1/notices/{nta['id']}/service",
             {"method": "in_person", "acknowledgement": "refused"})
    assert r.status_code == 200 and r.json()["acknowledgement"] == "refused"
    r = api(officer).get(f"/api/v1/notices/{nta['id']}/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


def test_time_in_the_wrong_time_zone_is_a_400_with_a_stable_code(clerk, amenable_case):
    r = post(api(clerk), f"/api/v1/hearings/cases/{amenable_case.a_number}/schedule",
             {"starts_at": "2030-07-01T08:30:00-05:00"})
    assert r.status_code == 400
    assert r.json()["code"] == "hearing.wrong_timezone"
    assert not Hearing.objects.exists()


def test_outcome_before_the_hearing_is_a_409(clerk, judge, amenable_case):
    r = post(api(clerk), f"/api/v1/hearings/cases/{amenable_case.a_number}/schedule", {})
    hid = r.json()[0]["id"]
    r = post(api(judge), f"/api/v1/hearings/{hid}/outcome", {"outcome": "did_not_appear"})
    assert r.status_code == 409 and r.json()["code"] == "hearing.not_yet_held"


def test_placeholder_address_is_refused_by_the_api(clerk, officer, courts):
    case = make_case(status="amenable")
    add_address(case, placeholder=True)
    post(api(clerk), f"/api/v1/hearings/cases/{case.a_number}/schedule", {})
    r = post(api(officer), "/api/v1/notices/nta", {"a_number": case.a_number})
    assert r.status_code == 409 and r.json()["code"] == "notice.address_placeholder"
    assert not Notice.objects.exists()


def test_reschedule_preview_and_bad_rule(clerk, courts, amenable_case):
    post(api(clerk), f"/api/v1/hearings/cases/{amenable_case.a_number}/schedule", {})
    r = post(api(clerk), "/api/v1/hearings/reschedule/preview",
             {"court": "san-diego", "rule": "plus_days", "days": 7})
    assert r.status_code == 200 and r.json()["matched"] == 1
    r = post(api(clerk), "/api/v1/hearings/reschedule/preview", {"rule": "someday"})
    assert r.status_code == 400 and r.json()["code"] == "reschedule.unknown_rule"


def test_representative_without_appearance_cannot_see_the_case(courts, amenable_case):
    lawyer = staff("legal_representative")
    r = api(lawyer).get(f"/api/v1/hearings/cases/{amenable_case.a_number}")
    assert r.status_code == 404


def test_case_page_shows_history_and_schedules(clerk, amenable_case):
    c = Client()
    c.force_login(clerk)
    url = reverse("hearings:case", args=[amenable_case.a_number])
    assert c.get(url).status_code == 200
    r = c.post(reverse("hearings:case_action", args=[amenable_case.a_number]),
               {"action": "schedule"})
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "San Diego Immigration Court" in page
    h = Hearing.objects.get(case=amenable_case)
    assert c.get(reverse("hearings:docket", args=[h.session_id])).status_code == 200
    assert c.get(reverse("hearings:schedule")).status_code == 200
    assert c.post(reverse("hearings:reschedule"),
                  {"rule": "plus_days", "days": "7", "court": "san-diego"}).status_code == 200


def test_export_csv_has_the_columns_with_offsets(clerk, amenable_case):
    from django.core.management import call_command

    from garita.hearings.services import hearing_schedule

    hearing_schedule(actor=clerk, case=amenable_case)
    import csv
    import sys

    buf = io.StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        call_command("hearings", "export", "--format", "csv")
    finally:
        sys.stdout = old
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(rows) == 1
    row = rows[0]
    for col in ("a_number", "family_unit", "language", "served_at", "hearing_at", "court",
                "session", "report_at", "port"):
        assert col in row
    assert row["a_number"] == amenable_case.a_number
    assert row["hearing_at"][-6] in "+-" and row["report_at"][-6] in "+-"
    assert row["port"] == "san-ysidro"


def test_schedule_command_schedules_everyone(courts):
    from django.core.management import call_command

    cases = [make_case(status="amenable") for _ in range(3)]
    out = io.StringIO()
    call_command("hearings", "schedule", "--no-progress", stdout=out)
    assert "scheduled 3" in out.getvalue()
    assert Hearing.objects.filter(case__in=cases).count() == 3


def test_escort_runs_through_the_api_refuse_with_409_and_write_nothing(clerk, officer, courts):
    import datetime as dt

    from django.utils import timezone

    from garita.hearings.models import EscortRun, PortHearingSettings
    from garita.hearings.services import hearing_check_in, hearing_schedule

    PortHearingSettings.objects.filter(port__slug="san-ysidro").update(escort_persons_per_run=1)
    hs = [hearing_schedule(actor=clerk, case=make_case(status="amenable"))[0] for _ in range(2)]
    start = timezone.now() - dt.timedelta(hours=1)
    Hearing.objects.filter(pk__in=[h.pk for h in hs]).update(
        starts_at=start, report_at=start - dt.timedelta(hours=4))
    r = post(api(officer), "/api/v1/hearings/escort-runs", {"hearing_ids": [hs[0].pk]})
    assert r.status_code == 409 and r.json()["code"] == "escort.not_checked_in"
    assert r.json()["details"]["hearings"] == [hs[0].pk]
    for h in hs:
        hearing_check_in(actor=officer, hearing=h, at=start - dt.timedelta(hours=4))
    r = post(api(officer), "/api/v1/hearings/escort-runs",
             {"hearing_ids": [h.pk for h in hs]})
    assert r.status_code == 409 and r.json()["code"] == "escort.over_capacity"
    assert not EscortRun.objects.exists()
    r = post(api(officer), "/api/v1/hearings/escort-runs", {"hearing_ids": [hs[0].pk]})
    assert r.status_code == 201
    run_id = r.json()["id"]
    r = post(api(officer), "/api/v1/hearings/escort-runs", {"hearing_ids": [hs[0].pk]})
    assert r.status_code == 409 and r.json()["code"] == "escort.already_in_run"
    r = post(api(officer), f"/api/v1/hearings/escort-runs/{run_id}/arrive",
             {"arrived_at": "2000-01-01T08:00:00-08:00"})
    assert r.status_code == 400 and r.json()["code"] == "escort.arrival_before_departure"
    r = post(api(officer), f"/api/v1/hearings/escort-runs/{run_id}/arrive", {})
    assert r.status_code == 200
    r = post(api(officer), f"/api/v1/hearings/escort-runs/{run_id}/arrive", {})
    assert r.status_code == 409 and r.json()["code"] == "escort.already_arrived"
