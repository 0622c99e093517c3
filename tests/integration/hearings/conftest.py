"""Fixtures for hearings and notices: the MPP courts with sessions over the next weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def courts(db, ports):
    from garita.hearings.reference import ensure_hearing_reference, ensure_sessions

    courts = ensure_hearing_reference()
    today = timezone.now().date()
    ensure_sessions(today - dt.timedelta(days=20), today + dt.timedelta(days=45),
                    master_capacity=3, individual_capacity=2)
    return courts


def staff(role: str, **extra):
    """A user with a role, straight through the ORM (no password hashing: tests stay fast)."""
    from garita.accounts.models import User

    user, _ = User.objects.get_or_create(username=f"h-{role}", defaults={"role": role, **extra})
    return user


@pytest.fixture
def clerk(db):
    return staff("court_clerk")


@pytest.fixture
def officer(db):
    return staff("port_officer")


@pytest.fixture
def supervisor(db):
    return staff("supervisor")


@pytest.fixture
def judge(db):
    return staff("judge")


def add_address(case, *, placeholder: bool = False, confirmed: bool = True):
    from garita.intake.models import Address

    return Address.objects.create(
        case=case, line1="Calle Benito Juárez 123", neighborhood="Zona Centro", city="Tijuana",
        state="Baja California", postal_code="22000", is_placeholder=placeholder,
        confirmed=confirmed, given_at=timezone.now(),
    )


@pytest.fixture
def amenable_case(courts):
    from tests.factories import make_case

    case = make_case(status="amenable")
    add_address(case)
    return case
