"""Reference data in the admin: administrators edit courts, interpreters and port settings;
bad values are refused beside the field; every change is an audit event."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from garita.audit.models import AuditEvent
from garita.hearings import services
from garita.hearings.models import Court, InterpreterAvailability, PortHearingSettings

pytestmark = pytest.mark.django_db


def admin_client(users) -> Client:
    c = Client()
    c.force_login(users["administrator"])
    return c


def _court_form(court: Court, **changes) -> dict:
    data = {"slug": court.slug, "name": court.name, "timezone": court.timezone,
            "address": court.address, "phone": court.phone,
            "legal_service_providers": json.dumps(court.legal_service_providers),
            "fed_by_ports": [p.pk for p in court.fed_by_ports.all()]}
    data.update(changes)
    return data


def test_an_administrator_changes_a_ports_escort_capacity_and_it_is_audited(users, courts):
    settings = PortHearingSettings.objects.select_related("port").get(port__slug="san-ysidro")
    res = admin_client(users).post(
        f"/admin/hearings/porthearingsettings/{settings.pk}/change/",
        {"port": settings.port_id, "court": settings.court_id,
         "location": settings.location_id or "", "report_lead_minutes": 180,
         "escort_persons_per_run": 12, "escort_runs_per_morning": 3})
    assert res.status_code == 302, res.content.decode()[:2000]
    settings.refresh_from_db()
    assert (settings.report_lead_minutes, settings.escort_persons_per_run) == (180, 12)
    assert services.escort_capacity(settings.port_id) == 12
    event = AuditEvent.objects.get(action="reference.change",
                                   object_type="hearings.porthearingsettings")
    assert event.old["escort_persons_per_run"] != 12 and event.new["escort_persons_per_run"] == 12
    assert event.actor_id == users["administrator"].pk


def test_a_court_with_a_bad_time_zone_is_refused_beside_the_field(users, courts):
    court = courts["san-diego"]
    res = admin_client(users).post(f"/admin/hearings/court/{court.pk}/change/",
                                   _court_form(court, timezone="Pacific Time"))
    assert res.status_code == 200
    assert "Not a time zone" in res.content.decode()
    court.refresh_from_db()
    assert court.timezone == "America/Los_Angeles"
    assert not AuditEvent.objects.filter(action="reference.change").exists()


def test_providers_must_have_a_name(users, courts):
    court = courts["san-diego"]
    res = admin_client(users).post(f"/admin/hearings/court/{court.pk}/change/",
                                   _court_form(court, legal_service_providers='[{"phone": "1"}]'))
    assert res.status_code == 200 and "each with a" in res.content.decode()


def test_interpreter_rows_need_a_known_language_and_real_weekdays(users, courts):
    court = courts["san-diego"]
    c = admin_client(users)
    base = {"court": court.pk, "mode": "remote", "date": "", "available": "on"}
    res = c.post("/admin/hearings/interpreteravailability/add/",
                 {**base, "language": "klingon", "weekdays": "[0, 1]"})
    assert res.status_code == 200 and "Unknown language code" in res.content.decode()
    res = c.post("/admin/hearings/interpreteravailability/add/",
                 {**base, "language": "mam", "weekdays": "[0, 9]"})
    assert res.status_code == 200 and "0 (Monday) to 6" in res.content.decode()
    before = InterpreterAvailability.objects.count()
    res = c.post("/admin/hearings/interpreteravailability/add/",
                 {**base, "language": "MAM", "weekdays": "[2, 0, 2]"})
    assert res.status_code == 302
    row = InterpreterAvailability.objects.order_by("-pk").first()
    assert InterpreterAvailability.objects.count() == before + 1
    assert (row.language, row.weekdays) == ("mam", [0, 2])
    assert AuditEvent.objects.filter(action="reference.add").exists()


def test_only_administrators_reach_the_reference_data(users, courts):
    c = Client()
    c.force_login(users["court_clerk"])
    res = c.get("/admin/hearings/court/")
    assert res.status_code == 302 and "/admin/login/" in res["Location"]
