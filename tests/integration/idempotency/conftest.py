"""Idempotency-Key fixtures: an officer with an API token, and a waitlist registration body
(a write that creates a row and an audit event, and answers with a PIN)."""

from __future__ import annotations

import pytest

REGISTER = "/api/v1/waitlist/san-ysidro/groups"


@pytest.fixture(autouse=True)
def _waitlist_isolation(waitlist_isolation):
    yield


@pytest.fixture
def officer(make_user):
    return make_user("port_officer")


@pytest.fixture
def officer_api(officer, api_client_for):
    return api_client_for(officer)


def family(surname: str = "Lopez", size: int = 2) -> dict:
    return {"members": [{"given_names": f"Ana{i}", "surnames": surname, "nationality": "HND"}
                        for i in range(size)], "allow_duplicate": True}
