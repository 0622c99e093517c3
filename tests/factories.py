"""Test data straight through the ORM, for tests that need cases but are not about intake.

`make_case()` builds an encounter, a person and a case with a fresh A-number and a known
PIN (returned on the case as `case.pin`). Tests about intake itself use the services.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from garita.intake.pins import pin_digest

_anumbers = itertools.count(200_000_001)


def next_anumber() -> str:
    return f"A{next(_anumbers):09d}"


def make_officer():
    from garita.accounts.models import User

    user, _ = User.objects.get_or_create(username="factory-officer",
                                         defaults={"role": "port_officer"})
    return user


def make_case(
    *,
    port_slug: str = "san-ysidro",
    given_names: str = "María José",
    surnames: str = "Núñez López",
    date_of_birth: dt.date = dt.date(1990, 5, 17),
    nationality: str = "HND",
    languages: list[str] | None = None,
    status: str = "returned_to_mexico",
    family_type: str = "single_adult",
    encounter=None,
    pin: str = "123456",
    phone: str | None = "+526641234567",
):
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.intake.models import Case, ContactPoint, Encounter, Person

    ensure_reference_data()
    port = Port.objects.get(slug=port_slug)
    if encounter is None:
        encounter = Encounter.objects.create(
            port=port, occurred_at=timezone.now() - dt.timedelta(days=30),
            officer=make_officer(), family_type=family_type,
        )
    person = Person.objects.create(
        encounter=encounter, given_names=given_names, surnames=surnames,
        date_of_birth=date_of_birth, nationality=nationality,
        languages=languages or ["spa"], is_head=not encounter.people.exists(),
    )
    a_number = next_anumber()
    case = Case.objects.create(
        person=person, a_number=a_number, status=status, port=port,
        lookup_pin_digest=pin_digest(a_number, pin), status_changed_at=timezone.now(),
    )
    if phone:
        ContactPoint.objects.create(case=case, kind="phone", value=phone)
    case.pin = pin
    return case


def make_family(size: int = 4, **kwargs):
    """A family unit encounter with `size` cases (first is the head)."""
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.intake.models import Encounter

    ensure_reference_data()
    port = Port.objects.get(slug=kwargs.get("port_slug", "san-ysidro"))
    enc = Encounter.objects.create(port=port, occurred_at=timezone.now() - dt.timedelta(days=30),
                                   officer=make_officer(), family_type="family_unit")
    births = [dt.date(1988, 3, 2), dt.date(1990, 7, 9), dt.date(2012, 1, 5), dt.date(2016, 11, 30)]
    return [
        make_case(encounter=enc, date_of_birth=births[i % 4], family_type="family_unit",
                  given_names=["José Luis", "Ana Lucía", "Kevin", "Dayana"][i % 4], **kwargs)
        for i in range(size)
    ]
