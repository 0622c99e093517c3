"""Faults, short form: processes killed mid-write, and the database going away under requests.

A SIGKILL of the web server, the worker and a long audited write leaves the audit chain
valid and the write all-or-nothing; a lost database answers 503 + Retry-After, then recovers.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from bench.faults.harness import Stack, make_env, wait_for_progress
from django.db import InterfaceError, OperationalError, connection

pytestmark = pytest.mark.db_backend


# --- the database going away: in-process, safe on a shared server ----------------------------


class _Down:
    """Make every new cursor fail as it does while PostgreSQL restarts."""

    def __init__(self, exc: type[Exception]) -> None:
        self.exc = exc

    def __call__(self, *args, **kwargs):
        raise self.exc("server closed the connection unexpectedly")


@pytest.mark.django_db
@pytest.mark.parametrize("exc", [OperationalError, InterfaceError])
def test_api_answers_503_with_retry_after_when_the_database_is_down(client, monkeypatch, exc):
    monkeypatch.setattr(connection, "cursor", _Down(exc))
    res = client.get("/api/v1/health")
    assert res.status_code == 503
    assert res["Retry-After"].isdigit() and int(res["Retry-After"]) > 0
    assert res.json()["code"] == "service.unavailable"


@pytest.mark.django_db
def test_pages_answer_503_with_retry_after_when_the_database_is_down(client, ports, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _Down(OperationalError))
    res = client.get("/")
    assert res.status_code == 503
    assert res["Retry-After"].isdigit()
    assert json.loads(res.content)["code"] == "service.unavailable"


@pytest.mark.django_db
def test_service_recovers_by_itself_once_the_database_is_back(client, ports, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _Down(OperationalError))
    assert client.get("/api/v1/health").status_code == 503
    monkeypatch.undo()
    res = client.get("/api/v1/health")
    assert res.status_code == 200 and res.json()["status"] == "ok"


def test_persistent_connections_are_health_checked():
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db
def test_other_errors_are_not_disguised_as_503(client, monkeypatch):
    """Only database outages are retry-able; a bug stays a 500 so that someone fixes it."""
    from garita.ops.middleware import DatabaseUnavailableMiddleware

    mw = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    assert mw.process_exception(None, ValueError("bug")) is None  # type: ignore[arg-type]
    assert mw.process_exception(None, OperationalError("down")).status_code == 503  # type: ignore[arg-type,union-attr]


# --- SIGKILL in the middle of a long write: real processes -----------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    conf = connection.settings_dict
    with psycopg.connect(host=conf["HOST"] or "127.0.0.1", port=conf["PORT"] or 5432,
                         user=conf["USER"] or "postgres", password=conf["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as pg:
        pg.execute(sql)


def _faults_db_name(suffix: str = "faults") -> str:
    return f"{connection.settings_dict['NAME']}_{suffix}"[:60]


def _database_url(tmp_path: Path, name: str | None = None) -> str:
    """A throw-away database of the same vendor as the test run's (on PostgreSQL named
    `name`, by default the fault drills' one)."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    name = name or _faults_db_name()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    dsn = dict(host=conf["HOST"] or "127.0.0.1", port=conf["PORT"] or 5432)
    auth = conf["USER"] or "postgres"
    if conf["PASSWORD"]:
        auth += f":{conf['PASSWORD']}"
    return f"postgres://{auth}@{dsn['host']}:{dsn['port']}/{name}"


@pytest.fixture
def stack(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    s = Stack(env=make_env(_database_url(tmp_path), var_dir), var_dir=var_dir)
    migrated = s.garita("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield s
    s.stop_all()
    if connection.vendor == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{_faults_db_name()}" WITH (FORCE)')


def test_sigkill_mid_write_leaves_a_valid_chain_and_nothing_half_written(stack, tmp_path):
    stack.start_web()
    stack.start_worker()

    label = f"drill-{uuid.uuid4().hex[:8]}"
    progress = tmp_path / "progress"
    stack.spawn("write", "fault_drill", "burst", "--label", label, "--events", "300",
                "--pause-ms", "5", "--progress-file", str(progress))
    reached = wait_for_progress(progress, at_least=30)
    for name in ("write", "worker", "web"):
        stack.kill(name)

    # Restart the server and the worker, as an operator (or systemd) would.
    stack.start_web()
    stack.start_worker()
    status, _, body = stack.get("/api/v1/health")
    assert status == 200, body

    state = stack.burst_state(label)
    assert state["chain_ok"], f"chain broken after SIGKILL at step {reached}: {state}"
    assert state["events"] == 0, "a killed write must leave nothing behind"

    # The same write, left alone, happens wholly and extends the valid chain.
    done = stack.garita("fault_drill", "burst", "--label", label, "--events", "40",
                        "--pause-ms", "0")
    assert done.returncode == 0, done.stderr
    state = stack.burst_state(label)
    assert state["events"] == 40 and state["chain_ok"], state


@pytest.mark.django_db
def test_the_503_message_is_in_the_callers_language(client, monkeypatch):
    monkeypatch.setattr(connection, "cursor", _Down(OperationalError))
    res = client.get("/api/v1/health", HTTP_ACCEPT_LANGUAGE="es")
    assert res.status_code == 503
    assert "Vuelva a intentarlo" in res.json()["message"]


def test_a_database_error_inside_other_middleware_also_becomes_503(rf):
    """Errors raised below us in the middleware chain arrive as a rendered 500; the
    got_request_exception receiver marks the request so we can tell an outage from a bug."""
    from django.core.signals import got_request_exception
    from django.http import HttpResponse

    from garita.ops.middleware import DatabaseUnavailableMiddleware

    def inner(request):
        try:
            raise OperationalError("the database system is shutting down")
        except OperationalError:
            got_request_exception.send(sender=None, request=request)
        return HttpResponse(status=500)

    res = DatabaseUnavailableMiddleware(inner)(rf.get("/"))
    assert res.status_code == 503 and res["Retry-After"]

    def buggy(request):
        try:
            raise ValueError("a bug")
        except ValueError:
            got_request_exception.send(sender=None, request=request)
        return HttpResponse(status=500)

    assert DatabaseUnavailableMiddleware(buggy)(rf.get("/")).status_code == 500


def _json(proc) -> dict:  # type: ignore[no-untyped-def]
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_sigkill_during_a_waitlist_call_calls_wholly_or_not_at_all(stack, tmp_path):
    port = "san-ysidro"
    _json(stack.garita("fault_drill", "waitlist-setup", "--port", port, "--groups", "30"))
    before = _json(stack.garita("fault_drill", "waitlist-state", "--port", port))
    assert before["waiting"] == 30 and before["calls"] == 0

    progress = tmp_path / "call-progress"
    stack.spawn("call", "fault_drill", "waitlist-call", "--port", port, "--capacity", "20",
                "--hold-s", "60", "--progress-file", str(progress))
    wait_for_progress(progress, at_least=1)  # groups marked called, log appended, no commit
    stack.kill("call")

    assert _json(stack.garita("fault_drill", "waitlist-state", "--port", port)) == before
    verified = stack.garita("waitlist", "verify", "--port", port)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    audited = stack.garita("audit", "verify")
    assert audited.returncode == 0, audited.stdout + audited.stderr

    # After the restart the same call happens wholly: every called group in the call and
    # in the transparency log, and the log still verifies.
    call = _json(stack.garita("fault_drill", "waitlist-call", "--port", port, "--capacity", "20"))
    after = _json(stack.garita("fault_drill", "waitlist-state", "--port", port))
    assert call["groups"] > 0
    assert after["calls"] == 1 and after["called"] == after["groups_in_calls"] == call["groups"]
    assert after["log_entries"] == before["log_entries"] + call["groups"]
    assert stack.garita("waitlist", "verify", "--port", port).returncode == 0
    assert stack.garita("audit", "verify").returncode == 0
