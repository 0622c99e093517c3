"""Staff pages: one form for a whole family, errors next to each field in the user's
language with everything typed kept, the case page and its audited contact read."""

from __future__ import annotations

import pytest

from garita.audit.models import AuditEvent
from garita.intake.models import Case, Encounter

pytestmark = pytest.mark.django_db


def _form(members, **top):
    data = {
        "port": "san-ysidro", "occurred_at": "2019-03-01T08:30", "family_type": "family_unit",
        "line1": "Calle Galileo 239", "neighborhood": "Postal", "city": "Tijuana",
        "state": "Baja California", "postal_code": "22000", "phone": "664 123 4567",
        "email": "", "notes": "", "shelter": "", "action": "save",
        "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "20",
    }
    for i, m in enumerate(members):
        for key, value in m.items():
            data[f"members-{i}-{key}"] = value
    data.update(top)
    return data


FAMILY = [
    {"given_names": "María José", "surnames": "Núñez de la O'Connor",
     "date_of_birth": "1988-03-02", "nationality": "HND", "primary_language": "spa",
     "relationship": "head", "sex": "F"},
    {"given_names": "José Luis", "surnames": "Pérez Núñez", "date_of_birth": "1986-07-09",
     "nationality": "HND", "primary_language": "spa", "relationship": "spouse"},
    {"given_names": "Dayana", "surnames": "Pérez Núñez", "date_of_birth": "2012-01-05",
     "nationality": "HND", "primary_language": "spa", "relationship": "child"},
    {"given_names": "Kevin", "surnames": "Pérez Núñez", "date_of_birth": "2016-11-30",
     "nationality": "HND", "primary_language": "quc", "other_languages": "spa",
     "relationship": "child"},
]


@pytest.fixture
def officer_client(client, users):
    client.force_login(users["port_officer"])
    return client


def test_the_form_records_a_family_of_four_and_goes_to_screening(officer_client):
    res = officer_client.post("/intake/encounters/new/", _form(FAMILY))
    encounter = Encounter.objects.get()
    assert res.status_code == 302
    assert res["Location"] == f"/screening/encounters/{encounter.pk}/"
    assert Case.objects.count() == 4
    kevin = Case.objects.get(person__given_names="Kevin").person
    assert kevin.languages == ["quc", "spa"]


def test_add_another_member_keeps_what_was_typed_and_writes_nothing(officer_client):
    res = officer_client.post("/intake/encounters/new/",
                              _form(FAMILY[:1], action="add_member"))
    html = res.content.decode()
    assert res.status_code == 200
    assert 'name="members-1-given_names"' in html
    assert "Núñez de la O&#x27;Connor" in html
    assert 'class="errorlist"' not in html
    assert Encounter.objects.count() == 0


def test_remove_a_member(officer_client):
    res = officer_client.post("/intake/encounters/new/", _form(FAMILY[:3], action="remove_1"))
    html = res.content.decode()
    assert 'name="members-2-given_names"' not in html
    assert "Dayana" in html and "José Luis" not in html


def test_errors_show_next_to_their_field_in_spanish_and_values_are_kept(officer_client):
    bad = [dict(m) for m in FAMILY]
    bad[2]["date_of_birth"] = "2999-01-01"
    bad[1]["given_names"] = "J0sé"
    officer_client.cookies["django_language"] = "es"
    res = officer_client.post("/intake/encounters/new/", _form(bad, phone="123"),
                              HTTP_ACCEPT_LANGUAGE="es")
    html = res.content.decode()
    assert res.status_code == 400
    assert 'id="id_members-2-date_of_birth_errors"' in html
    assert "La fecha de nacimiento está en el futuro." in html
    assert 'id="id_members-1-given_names_errors"' in html
    assert 'id="id_phone_errors"' in html
    assert 'value="J0sé"' in html and 'value="2999-01-01"' in html
    assert Encounter.objects.count() == 0


def test_an_empty_family_type_mismatch_is_shown_on_the_family_type(officer_client):
    res = officer_client.post("/intake/encounters/new/",
                              _form(FAMILY[:2], family_type="unaccompanied_child"))
    assert 'id="id_family_type_errors"' in res.content.decode()


def test_a_representative_cannot_open_the_encounter_form(client, users):
    client.force_login(users["legal_representative"])
    assert client.get("/intake/encounters/new/").status_code == 403


def test_the_case_page_shows_the_person_flags_and_an_audited_contact(officer_client):
    officer_client.post("/intake/encounters/new/", _form(FAMILY[:1] + FAMILY[2:3],
                                                         line1="Facebook"))
    case = Case.objects.get(person__given_names="María José")
    d = case.a_number[1:]
    res = officer_client.get(f"/intake/cases/a-{d[:3]}-{d[3:6]}-{d[6:]}/")
    assert res.status_code == 302 and res["Location"] == f"/intake/cases/{case.a_number}/"
    html = officer_client.get(res["Location"]).content.decode()
    assert "Núñez de la O&#x27;Connor" in html
    assert "Placeholder address" in html
    assert "+526641234567" in html
    assert f'href="/screening/cases/{case.a_number}/"' in html
    assert f'href="/hearings/cases/{case.a_number}/"' in html
    assert AuditEvent.objects.filter(action="contact.read", object_id=str(case.pk)).exists()


def test_a_hidden_case_is_a_404_for_a_representative(client, users, officer_client):
    officer_client.post("/intake/encounters/new/", _form(FAMILY))
    case = Case.objects.first()
    client.force_login(users["legal_representative"])
    assert client.get(f"/intake/cases/{case.a_number}/").status_code == 404
    assert client.get("/intake/cases/garbage/").status_code == 404


def test_the_case_list_is_scoped_and_searchable(officer_client, client, users):
    officer_client.post("/intake/encounters/new/", _form(FAMILY))
    html = officer_client.get("/intake/", {"q": "Pérez"}).content.decode()
    assert html.count("/intake/cases/A") == 3
    client.force_login(users["legal_representative"])
    assert "/intake/cases/A" not in client.get("/intake/").content.decode()


def test_an_address_change_from_the_case_page(officer_client):
    officer_client.post("/intake/encounters/new/", _form(FAMILY))
    case = Case.objects.first()
    res = officer_client.post(f"/intake/cases/{case.a_number}/address/",
                              {"line1": "Domicilio conocido", "city": "Tijuana"})
    assert res.status_code == 302
    assert case.addresses.first().is_placeholder
    res = officer_client.post(f"/intake/cases/{case.a_number}/address/", {"city": ""})
    assert res.status_code == 400 and 'id="id_city_errors"' in res.content.decode()


def test_a_representative_files_an_appearance_from_the_page(officer_client, client, users):
    officer_client.post("/intake/encounters/new/", _form(FAMILY))
    case = Case.objects.get(person__given_names="María José")
    client.force_login(users["legal_representative"])
    res = client.post("/intake/appearances/new/", {"a_number": case.a_number,
                                                   "date_of_birth": "1999-01-01"})
    assert res.status_code == 400
    res = client.post("/intake/appearances/new/", {"a_number": case.a_number,
                                                   "date_of_birth": "1988-03-02"})
    assert res.status_code == 302
    assert client.get(f"/intake/cases/{case.a_number}/").status_code == 200


def test_the_start_page_offers_each_role_its_intake_task(client, users):
    client.force_login(users["port_officer"])
    assert 'href="/intake/encounters/new/"' in client.get("/").content.decode()
    client.force_login(users["legal_representative"])
    html = client.get("/").content.decode()
    assert 'href="/intake/appearances/new/"' in html
    assert 'href="/intake/encounters/new/"' not in html


def test_a_bad_phone_that_is_also_whatsapp_shows_its_error_once(officer_client):
    res = officer_client.post("/intake/encounters/new/",
                              _form(FAMILY, phone="123", phone_is_whatsapp="on"))
    assert res.content.decode().count("Enter a valid phone number.") == 1


def test_the_encounter_time_is_read_in_the_ports_own_time_zone(officer_client):
    import datetime as dt

    officer_client.post("/intake/encounters/new/", _form(FAMILY, port="el-paso"))
    encounter = Encounter.objects.get()
    # 08:30 in El Paso (MST, UTC-7 on 1 March 2019) is 15:30 UTC.
    assert encounter.occurred_at == dt.datetime(2019, 3, 1, 15, 30, tzinfo=dt.UTC)


def test_a_texas_encounter_is_shown_at_its_ports_clock_with_the_zone(client, make_user):
    """Typed as El Paso's 08:30 (MST), shown as 08:30 MST: not as Tijuana's 07:30."""
    officer = make_user("port_officer", port_slug="el-paso")
    client.force_login(officer)
    res = client.post("/intake/encounters/new/", _form(FAMILY, port="el-paso"))
    assert res.status_code == 302
    encounter = Encounter.objects.get()
    page = client.get(f"/intake/encounters/{encounter.pk}/").content.decode()
    assert "2019-03-01 08:30 MST" in page and "2019-03-01 07:30" not in page
    case = Case.objects.filter(person__encounter=encounter).first()
    assert case is not None
    page = client.get(f"/intake/cases/{case.a_number}/").content.decode()
    history = AuditEvent.objects.filter(object_type="intake.case",
                                        object_id=str(case.pk)).first()
    assert history is not None
    local = history.at.astimezone(__import__("zoneinfo").ZoneInfo("America/Denver"))
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in page


def test_the_encounter_form_starts_at_the_officers_port_clock(client, make_user):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    officer = make_user("port_officer", port_slug="laredo")
    client.force_login(officer)
    before = timezone.now().astimezone(ZoneInfo("America/Chicago"))
    page = client.get("/intake/encounters/new/").content.decode()
    after = timezone.now().astimezone(ZoneInfo("America/Chicago"))
    assert any(f'value="{t:%Y-%m-%dT%H:%M}"' in page
               for t in (before, after, before + dt.timedelta(minutes=1)))
