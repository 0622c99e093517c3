"""The public statistics pages in a real browser: table and chart side by side, drill-down,
Spanish, no Content-Security-Policy violations; the planners' what-if."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.stats.builders import court_with_location, make_cases

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2019, 7, 15, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def dataset(ports):
    from garita.stats.services import rebuild_cube

    sd, sd_loc = court_with_location()
    ep, ep_loc = court_with_location("el-paso", "El Paso Immigration Court")
    make_cases(40, court=sd, location=sd_loc, nationality="HND", noticed_at=T0)
    make_cases(20, court=sd, location=sd_loc, nationality="GTM", noticed_at=T0,
               status="removal_in_absentia", missed=True, decided_at=T0 + dt.timedelta(days=60))
    make_cases(30, court=ep, location=ep_loc, nationality="CUB", noticed_at=T0)
    rebuild_cube()


def _watch_console(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_public_reads_statistics_drills_down_and_switches_to_spanish(page, live_server, dataset):
    errors = _watch_console(page)
    page.goto(f"{live_server.url}/stats/")
    assert page.locator("#stats-table").is_visible()
    assert page.locator("svg.chart").first.is_visible()
    court_rows = page.locator("#stats-table tbody tr", has_text="San Diego Immigration Court")
    assert court_rows.count() == 1
    page.select_option("select[name=group_by]", "nationality")
    with page.expect_navigation():
        page.click("form.stats-filters button[type=submit]")
    row = page.locator("#stats-table tbody tr", has_text="GTM")
    assert row.count() == 1
    assert "100.0%" in row.inner_text()  # every completed GTM case: in absentia
    with page.expect_navigation():
        page.click("#stats-table tbody a:text('HND')")
    assert "nationality=HND" in page.url
    assert page.locator("#stats-table caption").inner_text().startswith("Cases by Outcome")
    page.select_option("header select[name=language]", "es")
    with page.expect_navigation():
        page.click("header form.lang button[type=submit]")
    assert page.locator("h1").inner_text() == "Estadísticas de casos del MPP"
    assert page.get_by_text("Descargar CSV").is_visible()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_planner_changes_the_number_of_judges_and_sees_the_backlog(page, live_server, dataset,
                                                                   users, login):
    login(page, users["analyst"])
    page.goto(f"{live_server.url}/stats/what-if/")
    page.fill("#judges", "6")
    with page.expect_navigation():
        page.click("form.stats-filters button[type=submit]")
    assert "judges=6" in page.url
    assert page.locator("#whatif-table tbody tr").count() == 6
    assert page.locator("svg.chart").count() == 2
