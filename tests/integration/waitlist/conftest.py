"""Waitlist test fixtures: a private key directory per test and a clean tile cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _waitlist_isolation(waitlist_isolation):
    yield


@pytest.fixture
def officer(make_user):
    return make_user("port_officer")


@pytest.fixture
def shelter(make_user):
    return make_user("shelter_staff")


@pytest.fixture
def register(officer, ports):
    from garita.waitlist.services import MemberIn, register_group

    counter = {"n": 0}

    def _register(size: int = 1, port: str = "san-ysidro", **kw):
        counter["n"] += 1
        n = counter["n"]
        members = [MemberIn(f"Persona{n}x{i}", f"Apellido{n}", "HND") for i in range(size)]
        return register_group(actor=kw.pop("actor", officer), port=port, members=members, **kw)

    return _register
