"""The public board, position check, staff pages and the JSON API of the waitlist."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from garita.waitlist import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_data(register, officer):
    regs = [register(s) for s in (2, 3, 1, 4)]
    services.set_capacity(actor=officer, port="san-ysidro", persons=5)
    services.call_next(actor=officer, port="san-ysidro")
    return regs


def test_the_public_board_shows_numbers_and_never_names(board_data):
    resp = Client().get("/waitlist/san-ysidro/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Persona" not in body and "Apellido" not in body
    assert 'id="wl-called"' in body and ">1<" in body and ">2<" in body


def test_the_board_json_has_capacity_queue_and_no_names(board_data):
    data = Client().get("/waitlist/san-ysidro.json?number=4").json()
    assert data["capacity_persons"] == 5 and data["persons_called_today"] == 5
    assert data["groups_waiting"] == 2 and data["persons_waiting"] == 5
    assert [g["number"] for g in data["called_today"]] == [1, 2]
    assert data["estimate"]["groups_ahead"] == 1
    assert "Persona" not in str(data)


def test_the_board_json_names_the_zone_of_its_local_times(board_data):
    from zoneinfo import ZoneInfo

    from garita.waitlist.models import Group

    for url in ("/waitlist/san-ysidro.json", "/api/v1/waitlist/san-ysidro/board"):
        data = Client().get(url).json()
        assert data["timezone"] == "America/Tijuana"
        first = Group.objects.get(waitlist__port__slug="san-ysidro", number=1)
        assert first.called_at is not None
        local = first.called_at.astimezone(ZoneInfo(data["timezone"]))
        assert data["called_today"][0]["called_at"] == local.strftime("%H:%M")
        assert data["today"] == local.date().isoformat()


def test_the_board_speaks_spanish():
    from garita.core.reference import ensure_reference_data

    ensure_reference_data()
    body = Client(HTTP_ACCEPT_LANGUAGE="es").get("/waitlist/san-ysidro/").content.decode()
    assert "Lista de espera" in body


def test_an_unknown_port_board_is_404(db):
    assert Client().get("/waitlist/nowhere/").status_code == 404
    assert Client().get("/waitlist/nowhere.json").json()["code"] == "waitlist.unknown_port"


def test_position_check_with_number_and_pin(board_data):
    reg = board_data[3]
    c = Client()
    ok = c.post("/waitlist/san-ysidro/position/", {"number": "4", "pin": reg.pin})
    assert ok.status_code == 200 and 'id="wl-estimate"' in ok.content.decode()
    bad = c.post("/waitlist/san-ysidro/position/", {"number": "4", "pin": "99999x"})
    assert bad.status_code == 403 and "waitlist.bad_pin" in bad.content.decode()


def test_api_position_throttles_wrong_pins(board_data):
    c = Client()
    for _ in range(services.PIN_MAX_FAILURES):
        r = c.post("/api/v1/waitlist/san-ysidro/position", {"number": 3, "pin": "000000"},
                   content_type="application/json")
        assert r.status_code == 403 and r.json()["code"] == "waitlist.bad_pin"
    r = c.post("/api/v1/waitlist/san-ysidro/position",
               {"number": 3, "pin": board_data[2].pin}, content_type="application/json")
    assert r.status_code == 429 and r.json()["code"] == "waitlist.pin_throttled"


@pytest.mark.parametrize(("payload", "code", "status"), [
    ({"members": []}, "waitlist.bad_group_size", 400),
    ({"members": [{"given_names": "A", "surnames": "B", "nationality": "HND"}] * 31},
     "waitlist.bad_group_size", 400),
    ({"members": [{"given_names": "A", "surnames": "B", "nationality": "H1"}]},
     "waitlist.bad_nationality", 400),
    ({"members": "x"}, "request.invalid", 422),
])
def test_api_registration_refuses_bad_input_and_writes_nothing(officer, api_client_for, payload,
                                                              code, status):
    from garita.waitlist.models import Group

    r = api_client_for(officer).post("/api/v1/waitlist/san-ysidro/groups", payload,
                                     content_type="application/json")
    assert r.status_code == status and r.json()["code"] == code
    assert not Group.objects.exists()


def test_api_staff_flow_register_capacity_call_present(officer, api_client_for):
    c = api_client_for(officer)
    r = c.post("/api/v1/waitlist/san-ysidro/groups",
               {"members": [{"given_names": "Ana", "surnames": "Cruz", "nationality": "SLV"}]},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["number"] == 1 and len(r.json()["pin"]) == 6
    assert c.post("/api/v1/waitlist/san-ysidro/capacity", {"persons": -1},
                  content_type="application/json").json()["code"] == "waitlist.bad_capacity"
    c.post("/api/v1/waitlist/san-ysidro/capacity", {"persons": 3},
           content_type="application/json")
    r = c.post("/api/v1/waitlist/san-ysidro/call", {}, content_type="application/json")
    assert r.json()["numbers"] == [1] and r.json()["policy"] == "fcfs"
    r = c.post("/api/v1/waitlist/san-ysidro/groups/9/present")
    assert r.status_code == 404 and r.json()["code"] == "waitlist.unknown_number"
    assert c.post("/api/v1/waitlist/san-ysidro/groups/1/present").json()["status"] == "present"
    proof = c.get("/api/v1/waitlist/san-ysidro/log/proof?index=0").json()
    assert proof["tree_size"] == services.port_waitlist("san-ysidro").log_size
    hist = c.get("/api/v1/waitlist/san-ysidro/history?days=2").json()
    assert hist[-1]["persons_called"] == 1


def test_api_staff_endpoints_need_a_login(db):
    r = Client().post("/api/v1/waitlist/san-ysidro/call", {}, content_type="application/json")
    assert r.status_code == 401


def test_staff_page_registers_a_family_and_shows_the_pin_once(officer, client):
    client.force_login(officer)
    r = client.post("/waitlist/staff/san-ysidro/register/", {
        "given_0": "Rosa", "surname_0": "Mejía", "nationality_0": "HND", "dob_0": "1985-02-03",
        "given_1": "Kevin", "surname_1": "Mejía", "nationality_1": "HND",
        "contact": "+526641112233"})
    body = r.content.decode()
    assert r.status_code == 200 and 'id="wl-slip-pin"' in body
    from garita.waitlist.models import Group

    g = Group.objects.get()
    assert g.size == 2 and g.members.count() == 2
    page = client.get("/waitlist/staff/san-ysidro/?q=Mej%C3%ADa").content.decode()
    assert "Rosa Mejía" in page


def test_staff_search_by_name_needs_the_names_permission(make_user, client, register):
    register(1)
    analyst = make_user("analyst")
    client.force_login(analyst)
    assert client.get("/waitlist/staff/san-ysidro/?q=Persona").status_code == 403


def test_staff_switch_to_the_draw_commit_and_refuse_an_early_reveal(officer, client):
    from garita.waitlist.models import DrawRound

    client.force_login(officer)
    r = client.post("/waitlist/staff/san-ysidro/settings/",
                    {"is_open": "1", "policy": "draw", "grace_minutes": "20"})
    assert r.status_code == 302
    assert services.port_waitlist("san-ysidro").policy == "draw"
    assert client.post("/waitlist/staff/san-ysidro/draw/",
                       {"action": "commit", "hours": "23"}).status_code == 302
    assert DrawRound.objects.count() == 1
    r = client.post("/waitlist/staff/san-ysidro/draw/", {"action": "reveal"})
    assert r.status_code == 409 and "waitlist.window_open" in r.content.decode()
    r = client.post("/waitlist/staff/san-ysidro/settings/", {"policy": "lottery"})
    assert r.status_code == 400 and "waitlist.bad_policy" in r.content.decode()


@pytest.mark.parametrize(("lang", "said", "unsaid"), [
    ("pt", ["Grupos esperando", "Quando meu número será chamado?", "Entrada da equipe"],
     "Groups waiting"),
    ("ht", ["Gwoup k ap tann", "Kilè y ap rele nimewo mwen?", "Koneksyon anplwaye"],
     "Groups waiting"),
])
def test_the_public_board_speaks_portuguese_and_haitian_creole(board_data, lang, said, unsaid):
    page = Client(headers={"accept-language": lang}).get("/waitlist/san-ysidro/")
    text = page.content.decode()
    assert page.status_code == 200 and f'lang="{lang}"' in text
    for s in said:
        assert s in text
    assert unsaid not in text


def test_a_slowed_down_number_says_how_long_to_wait_on_the_page_and_in_the_api(board_data):
    import datetime as dt

    from django.utils import timezone

    from garita.waitlist.models import PinCounter

    # Many wrong PINs from many addresses already: the next one makes a wait of 256 s.
    PinCounter.objects.create(key="number:san-ysidro:3", failures=services.PIN_SLOWDOWN_AFTER + 6,
                              window_ends_at=timezone.now() + dt.timedelta(hours=1))
    Client(REMOTE_ADDR="6.6.6.6").post("/waitlist/san-ysidro/position/",
                                       {"number": "3", "pin": "000000"})
    page = Client(REMOTE_ADDR="10.0.0.7").post("/waitlist/san-ysidro/position/",
                                               {"number": "3", "pin": board_data[2].pin})
    assert page.status_code == 429
    assert 'data-code="waitlist.pin_slowdown"' in page.content.decode()
    assert re.search(r"Try again in 2[0-5]\d seconds", page.content.decode())
    api = Client(REMOTE_ADDR="10.0.0.8").post(
        "/api/v1/waitlist/san-ysidro/position", {"number": 3, "pin": board_data[2].pin},
        content_type="application/json")
    assert api.status_code == 429 and api.json()["code"] == "waitlist.pin_slowdown"
    assert 2 <= api.json()["details"]["retry_after"] <= services.PIN_SLOWDOWN_MAX_SECONDS
