"""The forecast helpers other apps call, over real cases and hearings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.stats.forecasts import forecast_decision, forecast_first_hearing

from .builders import court_with_location, make_cases

pytestmark = pytest.mark.django_db


def test_a_pending_case_is_forecast_from_the_courts_pace_of_decisions(ports):
    from garita.intake.models import Case

    court, loc = court_with_location()
    today = timezone.localdate()
    # Two decisions a day for the last 180 days; 100 cases pending before ours.
    for i in range(1, 181):
        moment = timezone.now() - dt.timedelta(days=i)
        make_cases(2, court=court, location=loc, status="terminated",
                   noticed_at=moment - dt.timedelta(days=200), decided_at=moment)
    make_cases(100, court=court, location=loc, noticed_at=timezone.now() - dt.timedelta(days=100))
    (ours,) = make_cases(1, court=court, location=loc, noticed_at=timezone.now())
    case = Case.objects.get(pk=ours)
    fc = forecast_decision(case, today=today)
    assert fc is not None
    assert fc.low <= fc.median <= fc.high
    assert 45 <= (fc.median - today).days <= 55  # 101 people at 2 a day: about 50 days


def test_no_decision_forecast_for_a_decided_case_or_without_history(ports):
    from garita.intake.models import Case

    court, loc = court_with_location()
    (decided,) = make_cases(1, court=court, location=loc, status="terminated")
    assert forecast_decision(Case.objects.get(pk=decided)) is None
    (pending,) = make_cases(1, court=court, location=loc)
    assert forecast_decision(Case.objects.get(pk=pending)) is None  # no decisions yet


def test_a_newly_served_nta_keeps_its_date_until_postponements_are_known(ports):
    from garita.hearings.models import Hearing
    from garita.intake.models import Case

    court, loc = court_with_location()
    (ours,) = make_cases(1, court=court, location=loc, heard=False,
                         noticed_at=timezone.now() - dt.timedelta(days=1))
    case = Case.objects.get(pk=ours)
    scheduled = Hearing.objects.get(case=case).starts_at.date()
    fc = forecast_first_hearing(case)
    assert fc is not None and fc.low == fc.high == scheduled and fc.method == "scheduled"


def test_no_first_hearing_forecast_once_the_first_hearing_was_held(ports):
    from garita.intake.models import Case

    court, loc = court_with_location()
    (ours,) = make_cases(1, court=court, location=loc, heard=True)
    assert forecast_first_hearing(Case.objects.get(pk=ours)) is None
