"""The cube and the figures it gives match hand-computed small datasets."""

from __future__ import annotations

import datetime as dt

import pytest

from garita.stats import selectors, services

from .builders import court_with_location, make_cases

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2019, 7, 15, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def dataset(ports):
    """San Diego: 40 HND (20 pending, 10 absentia with a missed hearing, 10 granted and
    represented), 30 GTM pending represented; El Paso: 25 CUB terminated."""
    sd, sd_loc = court_with_location()
    ep, ep_loc = court_with_location("el-paso", "El Paso Immigration Court")
    make_cases(20, court=sd, location=sd_loc, nationality="HND", noticed_at=T0)
    make_cases(10, court=sd, location=sd_loc, nationality="HND", status="removal_in_absentia",
               missed=True, noticed_at=T0, decided_at=T0 + dt.timedelta(days=60))
    make_cases(10, court=sd, location=sd_loc, nationality="HND", status="relief_granted",
               represented=True, noticed_at=T0, decided_at=T0 + dt.timedelta(days=120))
    make_cases(30, court=sd, location=sd_loc, nationality="GTM", represented=True,
               heard=False, noticed_at=T0 + dt.timedelta(days=40))
    make_cases(25, court=ep, location=ep_loc, nationality="CUB", status="terminated",
               noticed_at=T0, decided_at=T0 + dt.timedelta(days=90))
    services.rebuild_cube()
    return {"sd": sd, "ep": ep}


def _by_key(result):
    return {r.key: r for r in result.table.rows}


def test_totals_by_court_match_the_hand_count(dataset):
    res = selectors.statistics(selectors.parse_query({"group_by": "court"}))
    rows = _by_key(res)
    sd = rows[dataset["sd"].pk]
    assert sd.count("cases") == 70
    assert sd.count("pending") == 50
    assert sd.count("removal_in_absentia") == 10
    assert sd.count("relief_granted") == 10
    assert sd.count("completed") == 20
    assert sd.count("represented") == 40
    assert rows[dataset["ep"].pk].count("terminated") == 25
    assert res.table.total.count("cases") == 95


def test_rates_follow_their_definitions(dataset):
    res = selectors.statistics(selectors.parse_query({"group_by": "court"}))
    sd = _by_key(res)[dataset["sd"].pk]
    assert sd.rate("grant_rate") == 50.0  # 10 granted of 20 completed
    assert sd.rate("absentia_rate") == 50.0  # 10 in absentia of 20 completed
    assert sd.rate("representation_rate") == pytest.approx(57.1)  # 40 of 70 (rounded counts)
    assert sd.rate("missed_rate") == 25.0  # 10 missed of 40 with a hearing held or missed


def test_months_of_nta_and_decision_are_local_calendar_months(dataset):
    res = selectors.statistics(selectors.parse_query({"group_by": "nta_month"}))
    rows = _by_key(res)
    assert rows[dt.date(2019, 7, 1)].count("cases") == 65
    assert rows[dt.date(2019, 8, 1)].count("cases") == 30
    res = selectors.statistics(selectors.parse_query({"group_by": "decision_month"}))
    rows = _by_key(res)
    assert rows[dt.date(2019, 9, 1)].count("cases") == 10  # absentia on 13 Sept
    assert rows[dt.date(2019, 10, 1)].count("cases") == 25  # terminated on 13 Oct
    assert rows[dt.date(2019, 11, 1)].count("cases") == 10  # granted on 12 Nov
    assert rows[None].count("cases") == 50  # pending: no decision month


def test_average_days_to_decision_and_waiting(dataset):
    res = selectors.statistics(selectors.parse_query({"group_by": "nationality"}))
    rows = _by_key(res)
    assert rows["CUB"].avg_days_to_decision() == 90
    assert rows["HND"].avg_days_to_decision() == 90  # (10 x 60 + 10 x 120) / 20
    today = (dt.date.today() - dt.date(1970, 1, 1)).days
    noticed = (T0.date() - dt.date(1970, 1, 1)).days + 40
    assert rows["GTM"].avg_days_waiting(today) == today - noticed


def test_stats_refresh_command_rebuilds_the_cube(dataset):
    from io import StringIO

    from django.core.management import call_command

    from garita.stats.models import CubeCell

    CubeCell.objects.all().delete()
    out = StringIO()
    call_command("stats_refresh", stdout=out)
    assert "statistics rebuilt" in out.getvalue()
    assert sum(CubeCell.objects.values_list("cases", flat=True)) == 95


def test_the_cube_holds_no_identifier(dataset):
    from garita.stats.models import CubeCell

    names = {f.name for f in CubeCell._meta.get_fields()}
    assert not names & {"a_number", "case_id", "person_id", "given_names", "surnames"}
