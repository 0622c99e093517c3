"""Two requests with the same Idempotency-Key at the same time: the write runs once.

Real connections (transaction=True), one per thread. The claim is committed before the
write starts, so a request arriving while the first runs gets 409 (PostgreSQL; SQLite's
single writer makes it wait for the first and then replay its answer instead).
"""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from garita.audit.models import AuditEvent
from garita.idempotency.models import IdempotencyRecord
from garita.waitlist.models import Group

from .conftest import REGISTER, family

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "c0ffee00-0000-4000-8000-000000000001"


def _needs_shared_database() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            ("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite shares one connection; run on PostgreSQL or file SQLite")


def _post(token: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        res = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            REGISTER, json.dumps(family()), content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=KEY)
        return res.status_code, res.content, dict(res.headers)
    finally:
        connections.close_all()


@pytest.fixture
def token(officer):
    from garita.accounts.models import ApiToken

    return ApiToken.issue(officer, "race")[1]


def test_a_retry_while_the_first_request_runs_gets_409_and_then_the_replay(token,
                                                                          monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's single writer queues the retry behind the first instead")
    from garita.waitlist import services

    real, entered, gate = services.register_group, threading.Event(), threading.Event()

    def held_open(**kw):
        entered.set()
        assert gate.wait(30)
        return real(**kw)

    monkeypatch.setattr(services, "register_group", held_open)
    first: list = []
    t = threading.Thread(target=lambda: first.append(_post(token)))
    t.start()
    try:
        assert entered.wait(30)
        status, body, headers = _post(token)
        assert status == 409
        assert json.loads(body)["code"] == "api.idempotency_in_flight"
        assert headers["Retry-After"] == "1"
    finally:
        gate.set()
        t.join(60)
    assert first[0][0] == 201
    status, body, headers = _post(token)
    assert (status, body) == (201, first[0][1]) and headers["Idempotent-Replayed"] == "true"
    assert Group.objects.count() == 1
    assert AuditEvent.objects.filter(action="waitlist.register").count() == 1


def test_parallel_requests_with_one_key_write_once(token):
    _needs_shared_database()
    n = 4
    barrier = threading.Barrier(n)
    answers: list = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(30)
            answers.append(_post(token))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors
    assert Group.objects.count() == 1
    assert AuditEvent.objects.filter(action="waitlist.register").count() == 1
    ran = [a for a in answers if a[0] == 201 and "Idempotent-Replayed" not in a[2]]
    assert len(ran) == 1
    for status, body, _headers in answers:
        if status == 201:
            assert body == ran[0][1]
        else:
            assert status == 409 and json.loads(body)["code"] == "api.idempotency_in_flight"
    assert IdempotencyRecord.objects.get().status == 201
