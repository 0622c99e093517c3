"""Fixtures for intake integration tests: a family of four as the service expects it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def family_of_four():
    return [
        {"given_names": "María José", "surnames": "Núñez de la O'Connor",
         "date_of_birth": dt.date(1988, 3, 2), "nationality": "HND", "languages": ["spa"],
         "sex": "F", "relationship": "head", "is_head": True},
        {"given_names": "José Luis", "surnames": "Pérez Núñez",
         "date_of_birth": dt.date(1986, 7, 9), "nationality": "HND", "languages": ["spa"],
         "sex": "M", "relationship": "spouse"},
        {"given_names": "Dayana", "surnames": "Pérez Núñez",
         "date_of_birth": dt.date(2012, 1, 5), "nationality": "HND", "languages": ["spa"],
         "sex": "F", "relationship": "child"},
        {"given_names": "Kevin Ángel", "surnames": "Pérez Núñez",
         "date_of_birth": dt.date(2016, 11, 30), "nationality": "HND",
         "languages": ["spa", "cab"], "sex": "M", "relationship": "child"},
    ]


@pytest.fixture
def shelter(db):
    from garita.intake.models import Shelter

    return Shelter.objects.create(name="Casa del Migrante en Tijuana",
                                  address="Calle Galileo 239, Postal", confirmed=True)


@pytest.fixture
def record(users, ports, family_of_four):
    """Record an encounter through the service, with sensible defaults."""
    from garita.intake.services import encounter_record

    def _record(**overrides):
        kwargs = {
            "actor": users["port_officer"], "port_slug": "san-ysidro",
            "occurred_at": timezone.now() - dt.timedelta(hours=1),
            "family_type": "family_unit", "members": family_of_four,
            "address": {"line1": "Calle Galileo 239", "neighborhood": "Postal",
                        "city": "Tijuana", "state": "Baja California"},
            "contacts": [{"kind": "phone", "value": "664 123 4567"}],
        }
        kwargs.update(overrides)
        return encounter_record(**kwargs)

    return _record


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 for ten users per test is most of a test's time; these tests are not about it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
