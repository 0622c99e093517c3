"""Demo seed for screening: bulk, deterministic, realistic, and never returns an open claim."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.core.seeding import SeedContext
from garita.intake.models import Case, Encounter
from garita.screening import demo
from garita.screening.models import FearClaim, OrrReferral, ScreeningDecision
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db


def build(n_families: int, n_singles: int, n_children: int) -> list[int]:
    ids = []
    for _ in range(n_families):
        ids.append(make_family(3, status="encountered", phone=None)[0].person.encounter_id)
    for i in range(n_singles):
        ids.append(make_case(status="encountered", phone=None,
                             nationality=["HND", "GTM", "CUB", "MEX"][i % 4]).person.encounter_id)
    for _ in range(n_children):
        ids.append(make_case(status="encountered", phone=None, family_type="unaccompanied_child",
                             date_of_birth=dt.date(2009, 1, 1)).person.encounter_id)
    Encounter.objects.update(occurred_at=timezone.now() - dt.timedelta(days=40))
    return ids


def test_the_seed_screens_every_encountered_person_in_bulk():
    ids = build(n_families=10, n_singles=40, n_children=3)
    ctx = SeedContext(people=100, seed=7, rng=random.Random(7), today=timezone.localdate(),
                      shared={"encounter_ids": ids})
    before = AuditEvent.objects.count()
    demo.seed(ctx)
    assert not Case.objects.filter(status="encountered").exists()
    assert ScreeningDecision.objects.values("case").distinct().count() == 73
    assert OrrReferral.objects.count() == 3
    # Mexican nationals and children are never amenable.
    assert not Case.objects.filter(person__nationality="MEX", status="amenable").exists()
    assert not Case.objects.filter(person__encounter__family_type="unaccompanied_child",
                                   status="amenable").exists()
    # Every open claim keeps its case waiting; decided claims moved their family on.
    for claim in FearClaim.objects.all():
        status = Case.objects.get(pk=claim.case_id).status
        if claim.status == "open":
            assert status == "pending_fear_interview"
        elif claim.status == "positive":
            assert status == "not_amenable"
    assert Case.objects.filter(status="amenable").count() > 30
    assert AuditEvent.objects.filter(action="seed.screening").count() == 1
    assert AuditEvent.objects.count() - before <= 3  # one event per batch, not per person
    assert ctx.shared["amenable_case_ids"]
    assert any("screening:" in line for line in ctx.log)


def test_the_plan_is_deterministic_for_a_seed():
    from garita.screening.domain import DEFAULT_RULE_SET

    build(n_families=5, n_singles=30, n_children=1)
    rows = demo._rows(SeedContext(people=0, seed=0, rng=random.Random(0),
                                  today=timezone.localdate()))
    now = timezone.now()

    def run(seed: int):
        p = demo.plan(rows, DEFAULT_RULE_SET, random.Random(seed), timezone.localdate(), now)
        return ([(d.case_id, d.outcome, d.reasons, d.batch) for d in p.decisions],
                p.claims, dict(p.final_status))

    assert run(3) == run(3)
    assert len(run(3)[0]) >= 46


def test_the_seed_with_nobody_to_screen_says_so():
    ctx = SeedContext(people=0, seed=1, rng=random.Random(1), today=timezone.localdate())
    demo.seed(ctx)
    assert ctx.log == ["screening: no encounters waiting for screening"]
