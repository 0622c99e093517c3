"""Demo data for intake: realistic, deterministic, readable back through the ORM, with
placeholder addresses flagged and A-numbers from the configured block."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain
from garita.core.seeding import SeedContext, run_seed
from garita.intake.models import Address, ANumberBlock, Case, Consent, Encounter, Person

pytestmark = pytest.mark.django_db


def _seed(people: int, seed: int = 2019) -> SeedContext:
    ctx = SeedContext(people=people, seed=seed, rng=random.Random(seed),
                      today=dt.date(2020, 3, 20), progress=False)
    return run_seed(ctx, only=["intake"])


def test_the_demo_creates_exactly_the_people_asked_for_with_realistic_data():
    ctx = _seed(400)
    assert Case.objects.count() == Person.objects.count() == 400
    assert len(ctx.shared["encounter_ids"]) == Encounter.objects.count()
    assert set(Case.objects.values_list("status", flat=True)) == {"encountered"}
    nationalities = Counter(Person.objects.values_list("nationality", flat=True))
    assert nationalities.most_common(1)[0][0] in {"HND", "GTM"}
    languages = {code for langs in Person.objects.values_list("languages", flat=True)
                 for code in langs}
    assert {"spa", "quc"} <= languages
    singles = Encounter.objects.filter(family_type="single_adult").count()
    assert 0.25 < singles / 400 < 0.55
    first, last = dt.datetime(2019, 1, 28, tzinfo=dt.UTC), dt.datetime(2020, 3, 17, tzinfo=dt.UTC)
    assert all(first <= e.occurred_at <= last for e in Encounter.objects.all())
    assert Person.objects.filter(surnames__regex=r"[áéíóúñÁÉÍÓÚÑ]").exists()


def test_demo_families_match_their_family_type():
    from garita.intake.domain import age_on, family_problems

    _seed(200)
    for enc in Encounter.objects.prefetch_related("people")[:60]:
        day = enc.occurred_at.date()
        ages = [age_on(p.date_of_birth, day) for p in enc.people.all()]
        assert family_problems(enc.family_type, ages) == [], (enc.family_type, ages)


def test_some_demo_addresses_are_flagged_as_placeholders():
    _seed(400)
    flagged = Address.objects.filter(is_placeholder=True)
    assert flagged.exists()
    reasons = {r for row in flagged.values_list("placeholder_reasons", flat=True) for r in row}
    assert reasons & {"address.placeholder_social_media", "address.placeholder_unknown",
                      "address.city_only", "address.shelter_unconfirmed"}


def test_the_demo_is_deterministic():
    from garita.intake.models import ContactPoint

    def snapshot():
        return list(Person.objects.order_by("id").values_list(
            "given_names", "surnames", "date_of_birth", "nationality", "languages",
            "case__a_number", "encounter__occurred_at"))

    _seed(120, seed=7)
    first = snapshot()
    for model in (ContactPoint, Consent, Address, Case, Person, Encounter):
        model.objects.all().delete()
    ANumberBlock.objects.update(next_value=ANumberBlock.objects.get().first)
    _seed(120, seed=7)
    assert snapshot() == first


def test_the_demo_uses_the_a_number_block_and_audits_each_batch():
    _seed(50)
    block = ANumberBlock.objects.get()
    numbers = sorted(Case.objects.values_list("a_number", flat=True))
    assert numbers[0] == f"A{block.first:09d}"
    assert block.next_value == block.first + 50
    assert AuditEvent.objects.filter(action="seed.encounters").count() == 1
    assert verify_chain().ok


def test_new_encounters_after_the_demo_get_new_ids_and_a_numbers(users, family_of_four):
    from django.utils import timezone

    from garita.intake.services import encounter_record

    _seed(30)
    enc = encounter_record(actor=users["port_officer"], port_slug="san-ysidro",
                           occurred_at=timezone.now(), family_type="family_unit",
                           members=family_of_four, address={"city": "Tijuana"})
    assert Case.objects.count() == 34
    assert Case.objects.filter(person__encounter=enc).count() == 4


def test_shelter_staff_see_the_residents_who_consented_in_the_demo(make_user):
    from garita.intake.selectors import cases_visible_to

    _seed(300)
    consent = Consent.objects.select_related("shelter").first()
    assert consent is not None
    staff = make_user("shelter_staff", shelter=consent.shelter)
    visible = cases_visible_to(staff)
    assert visible.count() == Consent.objects.filter(shelter=consent.shelter).count()
