"""The demo seed: NTAs, hearings by the scheduler, outcomes, sample look-ups with real PINs."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from garita.core.seeding import SeedContext
from garita.hearings import demo
from garita.hearings.models import Hearing
from garita.intake.models import Case
from garita.intake.pins import pin_matches
from garita.notices.models import Notice
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db


def _ctx() -> SeedContext:
    return SeedContext(people=10, seed=7, rng=random.Random(7), today=timezone.now().date(),
                       progress=False)


def test_seed_skips_gracefully_without_cases(ports):
    ctx = _ctx()
    demo.seed(ctx)
    assert "skipped" in ctx.log[-1]


def test_seed_schedules_notices_and_gives_working_lookups(ports):
    singles = [make_case(status="amenable") for _ in range(6)]
    family = make_family(3, status="amenable")
    us = make_case(status="not_amenable")
    ctx = _ctx()
    demo.seed(ctx)
    cases = singles + family + [us]
    assert Hearing.objects.filter(case__in=cases).values("case").distinct().count() == 10
    assert Notice.objects.filter(kind="nta", case__in=cases).count() == 10
    first = {h.case_id: h.session_id for h in Hearing.objects.filter(previous__isnull=True)}
    assert len({first[c.pk] for c in family}) == 1
    assert Hearing.objects.get(case=us, previous__isnull=True).report_at is None
    for sample in ctx.shared["sample_lookups"]:
        case = Case.objects.get(a_number=sample["a_number"])
        assert pin_matches(case.a_number, sample["pin"], case.lookup_pin_digest)
    assert Case.objects.filter(pk__in=[c.pk for c in cases], status="amenable").count() == 0
    for h in Hearing.objects.filter(outcome="removal_in_absentia"):
        assert h.noticed_at is not None and h.checked_in_at is None
    for h in Hearing.objects.all():
        assert h.starts_at >= h.served_at + dt.timedelta(days=10)
