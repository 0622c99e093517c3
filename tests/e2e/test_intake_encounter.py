"""An officer records a family of four through the staff pages and sees the four cases."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

FAMILY = [
    ("María José", "Núñez de la O'Connor", "1988-03-02", "head", "spa"),
    ("José Ángel", "Pérez Núñez", "1986-07-09", "spouse", "spa"),
    ("Dayana Sofía", "Pérez Núñez", "2012-01-05", "child", "spa"),
    ("Kevin Andrés", "Pérez Núñez", "2016-11-30", "child", "quc"),
]


def test_officer_records_a_family_of_four_and_sees_the_four_cases(page, live_server, users,
                                                                  login):
    login(page, users["port_officer"])
    page.goto(f"{live_server.url}/intake/encounters/new/")
    page.select_option("#id_family_type", "family_unit")
    page.fill("#id_occurred_at", "2019-03-01T08:30")
    for i, (given, surnames, dob, relationship, language) in enumerate(FAMILY):
        if i > 0:
            with page.expect_navigation():
                page.click("#add-member")
        page.fill(f"#id_members-{i}-given_names", given)
        page.fill(f"#id_members-{i}-surnames", surnames)
        page.fill(f"#id_members-{i}-date_of_birth", dob)
        page.select_option(f"#id_members-{i}-nationality", "HND")
        page.select_option(f"#id_members-{i}-primary_language", language)
        page.select_option(f"#id_members-{i}-relationship", relationship)
    # Everything typed before the last "add another member" is still there.
    assert page.input_value("#id_members-0-surnames") == "Núñez de la O'Connor"
    page.fill("#id_line1", "Calle Galileo 239")
    page.fill("#id_neighborhood", "Postal")
    page.fill("#id_phone", "664 123 4567")
    with page.expect_navigation():
        page.click("#save-encounter")
    assert re.search(r"/screening/encounters/\d+/$", page.url)

    page.goto(f"{live_server.url}/intake/?q=Núñez")
    rows = page.locator("table.cases tbody tr")
    assert rows.count() == 4
    text = page.locator("table.cases").inner_text()
    for given, surnames, *_ in FAMILY:
        assert f"{given} {surnames}" in text

    page.click("text=María José Núñez de la O'Connor >> xpath=../td[1]/a")
    assert page.get_by_text("+526641234567").is_visible()
    assert "Núñez de la O'Connor" in page.locator("h1").inner_text()
