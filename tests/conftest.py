"""Shared fixtures: ports, one user per role, an API client per role.

Every test under tests/integration and tests/e2e is marked `db_backend`, so `.ci/run`
runs them again on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from garita.accounts.roles import Role


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts or "e2e" in parts:
            item.add_marker(pytest.mark.db_backend)
        if "e2e" in parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def client():
    """pytest-django's client, dispatching as production does: the telephony webhooks go
    through their own middleware stack (garita.core.handlers)."""
    from garita.core.testing import GaritaClient

    return GaritaClient()


@pytest.fixture
def ports(db):
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data

    ensure_reference_data()
    return {p.slug: p for p in Port.objects.all()}


@pytest.fixture
def make_user(db, ports):
    from garita.accounts.services import user_create

    counter = {"n": 0}

    def _make(role: Role | str, **extra):
        role = Role(role)
        counter["n"] += 1
        username = extra.pop("username", f"{role.value}{counter['n']}")
        return user_create(actor=None, username=username, password="correct horse 9",
                           role=role, port_slug=extra.pop("port_slug", "san-ysidro"), **extra)

    return _make


@pytest.fixture
def users(make_user):
    """One user per role, keyed by role value."""
    return {r.value: make_user(r) for r in Role}


@pytest.fixture
def api_client_for():
    from django.test import Client

    from garita.accounts.models import ApiToken

    def _client(user):
        _, token = ApiToken.issue(user, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _client


@pytest.fixture
def waitlist_isolation(settings, tmp_path):
    """A private waitlist key directory per test and clean key and log caches (the
    waitlist's and the idempotency tests' conftests use it for every test)."""
    from garita.waitlist import keys
    from garita.waitlist import log as wlog

    settings.GARITA_KEY_DIR = tmp_path / "keys"
    keys._cache.clear()
    wlog.clear_cache()
    yield
    keys._cache.clear()
    wlog.clear_cache()
