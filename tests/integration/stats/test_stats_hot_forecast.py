"""The hotline's decision forecast: the same queue model, cached per court and day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.stats import forecasts
from garita.stats.forecasts import forecast_decision, forecast_decision_for_court

from .builders import court_with_location, make_cases

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_hot_cache():
    forecasts.clear_hot_cache()
    yield
    forecasts.clear_hot_cache()


def test_forecast_for_court_matches_the_queue_and_is_served_from_cache(
        ports, django_assert_num_queries):
    from garita.intake.models import Case

    court, loc = court_with_location()
    today = timezone.localdate()
    for i in range(1, 181):
        moment = timezone.now() - dt.timedelta(days=i)
        make_cases(2, court=court, location=loc, status="terminated",
                   noticed_at=moment - dt.timedelta(days=200), decided_at=moment)
    make_cases(100, court=court, location=loc, noticed_at=timezone.now() - dt.timedelta(days=100))
    (ours,) = make_cases(1, court=court, location=loc, noticed_at=timezone.now())
    case = Case.objects.get(pk=ours)
    full = forecast_decision(case, today=today)  # builds the statistics tables
    assert full is not None
    noticed = case.hearings.get().noticed_at
    fc = forecast_decision_for_court(court_id=court.pk, noticed_at=noticed,
                                     status=case.status, today=today)
    assert fc is not None and fc.low <= fc.median <= fc.high
    assert 45 <= (fc.median - today).days <= 55  # the same queue: ~101 people at 2 a day
    assert abs((fc.median - full.median).days) <= 3  # only the random seed differs
    with django_assert_num_queries(0):  # a second look-up costs no query and no simulation
        again = forecast_decision_for_court(court_id=court.pk, noticed_at=noticed,
                                            status=case.status, today=today)
    assert again == fc


def test_no_forecast_for_a_decided_case_or_before_the_tables_exist(ports):
    court, _loc = court_with_location()
    now = timezone.now()
    assert forecast_decision_for_court(court_id=court.pk, noticed_at=now,
                                       status="relief_granted") is None
    assert forecast_decision_for_court(court_id=None, noticed_at=now,
                                       status="in_proceedings") is None
    # The statistics tables were never built: the hot path never builds them.
    assert forecast_decision_for_court(court_id=court.pk, noticed_at=now,
                                       status="in_proceedings") is None


def test_the_cache_expires(ports, monkeypatch):
    court, _loc = court_with_location()
    calls = []
    monkeypatch.setattr(forecasts, "_court_queue_inputs",
                        lambda court_id, today: calls.append(court_id))
    now = timezone.now()
    for _ in range(3):
        forecast_decision_for_court(court_id=court.pk, noticed_at=now, status="in_proceedings")
    assert calls == [court.pk]
    monkeypatch.setattr(forecasts, "HOT_CACHE_SECONDS", -1.0)
    forecast_decision_for_court(court_id=court.pk, noticed_at=now, status="in_proceedings")
    assert calls == [court.pk, court.pk]
