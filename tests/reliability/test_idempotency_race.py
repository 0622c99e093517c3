"""Idempotency-Key across real processes: gunicorn (2 workers x 2 threads) on the test run's
database vendor (a file SQLite database, or a scratch PostgreSQL one), and a burst of
requests with one key sent at the same moment. Each key's write runs exactly once; every
other request gets its answer replayed or a 409 to retry, and the retry gets the replay.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from bench.faults.harness import Stack, make_env
from django.db import connection

from tests.reliability.test_faults import _pg_admin

pytestmark = [pytest.mark.db_backend, pytest.mark.slow]

SETUP = """
from garita.accounts.models import ApiToken
from garita.accounts.roles import Role
from garita.accounts.services import user_create
from garita.core.reference import ensure_reference_data
ensure_reference_data()
u = user_create(actor=None, username="officer", password="correct horse 9",
                role=Role.PORT_OFFICER, port_slug="san-ysidro")
print(ApiToken.issue(u, "race")[1])
"""
COUNT = """
import json
from garita.audit.models import AuditEvent
from garita.waitlist.models import Group
print(json.dumps({"groups": Group.objects.count(),
                  "events": AuditEvent.objects.filter(action="waitlist.register").count()}))
"""
BODY = json.dumps({"members": [{"given_names": "Ana", "surnames": "Lopez",
                                "nationality": "HND"}], "allow_duplicate": True}).encode()


def _scratch_db_name() -> str:
    return f"{connection.settings_dict['NAME']}_idem"[:60]


@pytest.fixture
def stack(tmp_path):
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    else:
        name = _scratch_db_name()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
        auth = conf["USER"] or "postgres"
        if conf["PASSWORD"]:
            auth += f":{conf['PASSWORD']}"
        url = f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{name}"
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    s = Stack(env=make_env(url, var_dir), var_dir=var_dir)
    migrated = s.garita("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield s
    s.stop_all()
    if connection.vendor == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{_scratch_db_name()}" WITH (FORCE)')


def _post(stack: Stack, token: str, key: str) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(
        stack.url("/api/v1/waitlist/san-ysidro/groups"), data=BODY, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.read(), dict(res.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def test_a_burst_with_one_key_writes_once_on_real_processes(stack):
    setup = stack.garita("shell", "-c", SETUP)
    assert setup.returncode == 0, setup.stderr
    token = setup.stdout.strip().splitlines()[-1]
    stack.start_web(workers=2)

    rounds, burst = 3, 6
    for _ in range(rounds):
        key = str(uuid.uuid4())
        barrier = threading.Barrier(burst)
        answers: list[tuple[int, bytes, dict[str, str]]] = []

        def send(key: str = key, barrier: threading.Barrier = barrier,
                 answers: list = answers) -> None:
            barrier.wait(30)
            answers.append(_post(stack, token, key))

        threads = [threading.Thread(target=send) for _ in range(burst)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(answers) == burst
        ran = [a for a in answers if a[0] == 201 and "Idempotent-Replayed" not in a[2]]
        assert len(ran) == 1, [(a[0], a[1][:80]) for a in answers]
        for status, body, _headers in answers:
            if status != 201:
                assert status == 409, body
                assert json.loads(body)["code"] == "api.idempotency_in_flight"
            else:
                assert body == ran[0][1]
        status, body, headers = _post(stack, token, key)  # the retry after a 409
        assert (status, body) == (201, ran[0][1])
        assert headers.get("Idempotent-Replayed") == "true"

    count = stack.garita("shell", "-c", COUNT)
    assert count.returncode == 0, count.stderr
    assert json.loads(count.stdout.strip().splitlines()[-1]) == {"groups": rounds,
                                                                 "events": rounds}
