"""Statistics pages, JSON and CSV: same protected figures everywhere; bad input is a 400 with
a stable code; the what-if page is for planners only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from garita.stats import services

from .builders import court_with_location, make_cases

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2019, 7, 15, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def dataset(ports):
    """HND: 22 cases at San Diego and 3 at El Paso (a group of 3 that differencing must not
    reveal); GTM: 40 at San Diego; CUB: 30 at El Paso."""
    sd, sd_loc = court_with_location()
    ep, ep_loc = court_with_location("el-paso", "El Paso Immigration Court")
    make_cases(22, court=sd, location=sd_loc, nationality="HND", noticed_at=T0)
    make_cases(3, court=ep, location=ep_loc, nationality="HND", noticed_at=T0)
    make_cases(40, court=sd, location=sd_loc, nationality="GTM", noticed_at=T0,
               status="removal_in_absentia", missed=True, decided_at=T0 + dt.timedelta(days=50))
    make_cases(30, court=ep, location=ep_loc, nationality="CUB", noticed_at=T0)
    services.rebuild_cube()
    return {"sd": sd, "ep": ep}


def api(client: Client, **params):
    resp = client.get("/api/v1/stats/cases", params)
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_differencing_nationality_against_nationality_and_court_reveals_nothing(dataset):
    client = Client()
    by_outcome = api(client, group_by="outcome", nationality="HND")
    assert by_outcome["total"]["counts"]["cases"] == 25
    narrowed = api(client, group_by="outcome", nationality="HND", court="san-diego")
    assert narrowed["total"]["counts"]["cases"] is None  # 25 - 22 = 3 would leak
    assert narrowed["suppressed_query"] is True
    by_court = api(client, group_by="court", nationality="HND")
    published = [r["counts"]["cases"] for r in by_court["rows"]]
    assert all(v is None for v in published)  # 3 is small; 22 is 25 - 3
    # Every published count for HND, from any of the three answers, differs from 25 by 0
    # or by 10 or more: nothing isolates the three people at El Paso.
    for answer in (by_outcome, narrowed, by_court):
        for rec in [*answer["rows"], answer["total"]]:
            v = rec["counts"]["cases"]
            assert v is None or v == 25 or abs(25 - v) >= 10


def test_the_same_figures_appear_in_html_json_and_csv(dataset):
    client = Client()
    data = api(client, group_by="nationality")
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["GTM"]["counts"]["removal_in_absentia"] == 40
    assert rows["GTM"]["rates"]["absentia_rate"] == 100.0
    assert rows["HND"]["counts"]["cases"] == 25
    page = client.get("/stats/", {"group_by": "nationality"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'id="stats-table"' in html
    resp = client.get("/stats/csv/", {"group_by": "nationality"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(resp.content.decode())))
    header = table[0]
    gtm = next(r for r in table if r and r[0] == "GTM")
    assert gtm[header.index("removal_in_absentia")] == "40"


def test_csv_never_contains_a_small_count(dataset):
    resp = Client().get("/stats/csv/", {"group_by": "court", "nationality": "HND"})
    table = list(csv.reader(io.StringIO(resp.content.decode())))
    header = table[0]
    for row in table[1:]:
        if not row or row[0].startswith("#"):
            continue
        for name in ("cases", "pending"):
            v = row[header.index(name)]
            assert v == "suppressed" or v == "0" or int(v) >= 10


@pytest.mark.parametrize("params, code", [
    ({"group_by": "favourite_colour"}, "stats.bad_dimension"),
    ({"court": "nowhere"}, "stats.bad_filter"),
    ({"nta_month": "July"}, "stats.bad_filter"),
    ({"nationality": "HND", "court": "san-diego", "port": "san-ysidro", "outcome": "pending"},
     "stats.too_many_filters"),
])
def test_bad_queries_are_refused_with_a_stable_code(dataset, params, code):
    client = Client()
    resp = client.get("/api/v1/stats/cases", params)
    assert resp.status_code == 400
    assert resp.json()["code"] == code
    assert client.get("/stats/", params).status_code == 400
    assert client.get("/stats/csv/", params).status_code == 400


def test_drill_down_links_add_the_row_as_a_filter(dataset):
    html = Client().get("/stats/", {"group_by": "court"}).content.decode()
    assert "court=san-diego" in html and "group_by=location" in html


def test_a_write_reported_through_note_change_reaches_the_figures(dataset, settings):
    settings.GARITA_STATS_REFRESH_SECONDS = 0
    client = Client()
    before = api(client, group_by="nationality")
    sd, loc = court_with_location()
    make_cases(20, court=sd, location=loc, nationality="VEN", noticed_at=T0)
    services.note_change()
    after = api(client, group_by="nationality")
    assert "VEN" not in {r["key"] for r in before["rows"]}
    assert {r["key"]: r for r in after["rows"]}["VEN"]["counts"]["cases"] == 20


def test_without_a_reported_change_cached_figures_stay_until_the_interval(dataset, settings):
    settings.GARITA_STATS_REFRESH_SECONDS = 3600
    client = Client()
    api(client, group_by="nationality")
    sd, loc = court_with_location()
    make_cases(20, court=sd, location=loc, nationality="VEN", noticed_at=T0)
    services.note_change()
    rows = api(client, group_by="nationality")["rows"]
    assert "VEN" not in {r["key"] for r in rows}


def test_waitlist_page_says_plainly_when_there_is_no_waitlist_data(dataset):
    resp = Client().get("/stats/waitlist/")
    assert resp.status_code == 200
    assert "No waitlist data" in resp.content.decode()
    data = Client().get("/api/v1/stats/waitlist").json()
    assert all(p["available"] is False for p in data["ports"])


def test_what_if_is_for_planners_only(dataset, users):
    client = Client()
    assert client.get("/stats/what-if/").status_code == 302
    client.force_login(users["port_officer"])
    assert client.get("/stats/what-if/").status_code == 403
    client.force_login(users["analyst"])
    resp = client.get("/stats/what-if/", {"judges": "4", "months": "3"})
    assert resp.status_code == 200
    assert 'id="whatif-table"' in resp.content.decode()
    bad = client.get("/stats/what-if/", {"judges": "-1"})
    assert bad.status_code == 400


def test_waitlist_page_shows_people_waiting_pace_and_length_of_wait(ports, monkeypatch):
    import sys
    import types
    from dataclasses import dataclass

    @dataclass
    class DayStat:
        date: dt.date
        capacity_persons: int
        persons_called: int
        persons_present: int
        groups_waiting: int
        persons_waiting: int

    start = dt.date(2019, 6, 1)

    def daily_history(port, days):
        if getattr(port, "slug", port) != "san-ysidro":
            return []
        return [DayStat(start + dt.timedelta(days=i), 24, 24, 20, 900, 9000) for i in range(30)]

    fake = types.SimpleNamespace(daily_history=daily_history)
    monkeypatch.setitem(sys.modules, "garita.waitlist.selectors", fake)
    monkeypatch.setattr("garita.waitlist.selectors", fake, raising=False)
    data = Client().get("/api/v1/stats/waitlist").json()
    sy = next(p for p in data["ports"] if p["port"] == "san-ysidro")
    assert sy == {"port": "san-ysidro", "name": "San Ysidro", "available": True,
                  "persons_waiting": 9000, "processed_per_day": 20.0,
                  "capacity_per_day": 24.0, "wait_days": 450}
    html = Client().get("/stats/waitlist/").content.decode()
    assert "450" in html and "<svg" in html
