"""Small hand-made datasets for the statistics tests: cases with hearings straight
through the ORM (bulk, so a few hundred cases stay fast)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

_seq = itertools.count(700_000_001)


def court_with_location(slug: str = "san-diego", name: str = "San Diego Immigration Court"):
    from garita.hearings.models import Court, HearingLocation

    court, _ = Court.objects.get_or_create(
        slug=slug, defaults={"name": name, "address": "401 W A St, San Diego, CA"}
    )
    loc = HearingLocation.objects.filter(court=court).first() or HearingLocation.objects.create(
        court=court, name=f"{name} (courtroom)", address="401 W A St"
    )
    return court, loc


def make_cases(
    n: int,
    *,
    court,
    location,
    nationality: str = "HND",
    status: str = "in_proceedings",
    represented: bool = False,
    missed: bool = False,
    heard: bool = True,
    noticed_at: dt.datetime | None = None,
    decided_at: dt.datetime | None = None,
    port_slug: str = "san-ysidro",
) -> list[int]:
    """`n` cases, each with one hearing at `location`, all alike; returns their ids."""
    from garita.accounts.models import User
    from garita.core.models import Port
    from garita.hearings.models import Hearing
    from garita.intake.models import Appearance, Case, Encounter, Person

    if n == 0:
        return []
    port = Port.objects.get(slug=port_slug)
    officer, _ = User.objects.get_or_create(username="stats-officer",
                                            defaults={"role": "port_officer"})
    rep, _ = User.objects.get_or_create(username="stats-rep",
                                        defaults={"role": "legal_representative"})
    noticed_at = noticed_at or timezone.now() - dt.timedelta(days=100)
    enc = Encounter.objects.create(port=port, occurred_at=noticed_at, officer=officer,
                                   family_type="single_adult")
    people = Person.objects.bulk_create([
        Person(encounter=enc, given_names="X", surnames="Y", date_of_birth=dt.date(1990, 1, 1),
               nationality=nationality, languages=["spa"])
        for _ in range(n)
    ])
    cases = Case.objects.bulk_create([
        Case(person=p, a_number=f"A{next(_seq):09d}", status=status, port=port,
             status_changed_at=decided_at or noticed_at)
        for p in people
    ])
    outcome = "did_not_appear" if missed else ("appeared" if heard else "")
    Hearing.objects.bulk_create([
        Hearing(case=c, court=court, location=location, calendar="master",
                starts_at=noticed_at + dt.timedelta(days=30),
                status="held" if heard else "scheduled", outcome=outcome,
                noticed_at=noticed_at)
        for c in cases
    ])
    if represented:
        Appearance.objects.bulk_create([
            Appearance(case=c, representative=rep, filed_at=noticed_at) for c in cases
        ])
    return [c.pk for c in cases]
