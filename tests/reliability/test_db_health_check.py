"""The PostgreSQL health check skipped on a busy persistent connection, and what it still keeps.

Requests go through the production WSGI application in this process, as a WSGI server sends
them (request_started, the response, then close() and request_finished), on one persistent
connection (CONN_MAX_AGE 60). The health checks are counted on the connection's `is_usable`,
the `SELECT 1` that Django runs; connections are killed with pg_terminate_backend from
another session. PostgreSQL only: Garita's SQLite backend is Django's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections

pytestmark = pytest.mark.db_backend

HEALTH = "/api/v1/health"


class Server:
    """The production WSGI application, called as a WSGI server calls it, and the number of
    health checks (is_usable) that the connection ran so far."""

    def __init__(self, db: Any) -> None:
        from garita.core.handlers import GaritaWSGIApplication

        self.db = db
        self.app = GaritaWSGIApplication()
        self.checks = 0

    def get(self, path: str = HEALTH) -> tuple[int, dict[str, str], bytes]:
        environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": "testserver"}
        setup_testing_defaults(environ)
        started: list[tuple[str, list[tuple[str, str]]]] = []
        body = self.app(environ, lambda status, headers, exc_info=None: started.append(
            (status, headers)))
        try:
            content = b"".join(body)
        finally:
            body.close()  # request_finished, as the WSGI server sends it
        status, headers = started[0]
        return int(status.split()[0]), dict(headers), content

    def backend_pid(self) -> int:
        return int(self.db.connection.info.backend_pid)


Serve = Callable[[float], Server]


def _admin() -> psycopg.Connection[Any]:
    conf = connections[DEFAULT_DB_ALIAS].settings_dict
    return psycopg.connect(host=conf["HOST"] or "127.0.0.1", port=conf["PORT"] or 5432,
                           user=conf["USER"] or "postgres", password=conf["PASSWORD"] or None,
                           dbname=conf["NAME"], autocommit=True)


def _kill(pid: int) -> None:
    """Terminate a backend from another session, as a restart or an operator does, and wait
    until it is gone."""
    with _admin() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                            [pid]).fetchone() is not None:
            assert time.monotonic() < deadline, f"backend {pid} still alive"
            time.sleep(0.02)


@pytest.fixture
def serve(transactional_db: None, settings: Any,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """serve(window): a persistent, health-checked connection whose health-check window is
    `window` seconds (read on connect), and the WSGI application; is_usable calls counted."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        pytest.skip("the health-check window is PostgreSQL's (SQLite uses Django's backend)")
    assert db.settings_dict["CONN_HEALTH_CHECKS"] is True

    def _serve(window: float) -> Server:
        settings.GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS = window
        monkeypatch.setitem(db.settings_dict, "CONN_MAX_AGE", 60)
        db.close()  # the next connect reads CONN_MAX_AGE and the window
        srv = Server(db)
        real_is_usable = db.is_usable

        def counted_is_usable() -> bool:
            srv.checks += 1
            return bool(real_is_usable())

        monkeypatch.setattr(db, "is_usable", counted_is_usable)
        return srv

    yield _serve
    monkeypatch.undo()
    vars(db).pop("is_usable", None)  # undo() leaves the original bound method on the instance
    db.close()


def _checks_after_each(server: Server, n: int) -> list[int]:
    counts = []
    for _ in range(n):
        status, _headers, body = server.get()
        assert status == 200, body
        counts.append(server.checks)
    return counts


# --- the settings select the backend; it stays Django's PostgreSQL backend ---------------


def test_postgresql_runs_on_garitas_backend_which_is_still_djangos(
        transactional_db: None) -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoPostgres

    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        assert db.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
        return
    from garita.core.db.postgresql.base import DatabaseWrapper

    assert db.settings_dict["ENGINE"] == "garita.core.db.postgresql"
    assert isinstance(db, DatabaseWrapper) and isinstance(db, DjangoPostgres)
    assert (db.vendor, db.display_name) == ("postgresql", "PostgreSQL")
    assert "accounts_user" in db.introspection.table_names()  # migrated by the test set-up


# --- the round trip saved --------------------------------------------------------------------


def test_consecutive_requests_on_a_busy_connection_run_no_health_check(serve: Serve) -> None:
    server = serve(30)
    server.get()
    pid = server.backend_pid()
    assert _checks_after_each(server, 4) == [0, 0, 0, 0]
    assert server.backend_pid() == pid, "the same persistent connection served them all"


def test_statements_on_the_drivers_cursor_skip_the_check_as_well(serve: Serve) -> None:
    """garita.core.sql (the hotline's statements) asks for the check itself, outside
    Django's cursor: the window covers it the same way."""
    server = serve(30)
    from garita.core import sql

    db = server.db
    counts = []
    for _ in range(3):
        request_started.send(sender=None)
        assert sql.fetchall("SELECT %s::int", [7]) == [(7,)]
        request_finished.send(sender=None)
        counts.append(server.checks)
    assert counts == [0, 0, 0]
    assert db.connection is not None


def test_a_loop_outside_requests_keeps_djangos_check_on_every_pass(serve: Serve) -> None:
    """Only requests vouch for a connection: the task worker's loop (close_old_connections
    around each pass, no request) is checked on every pass as before, so a worker on a
    connection killed between passes reconnects instead of failing its query."""
    from django.db import close_old_connections

    server = serve(30)
    counts = []
    for _ in range(3):
        close_old_connections()
        with server.db.cursor() as cur:
            cur.execute("SELECT 1")
        close_old_connections()
        counts.append(server.checks)
    assert counts == [0, 1, 2]


# --- what the health check still does --------------------------------------------------------


def test_a_connection_idle_longer_than_the_window_is_checked(serve: Serve) -> None:
    server = serve(0.3)
    assert _checks_after_each(server, 2) == [0, 0]
    time.sleep(0.4)
    assert _checks_after_each(server, 2) == [1, 1]  # checked once, then trusted again


def test_a_zero_window_checks_before_every_request_as_django_does(serve: Serve) -> None:
    server = serve(0)
    assert _checks_after_each(server, 3) == [0, 1, 2]


def test_after_a_request_with_a_database_error_the_next_request_is_checked(serve: Serve) -> None:
    server = serve(30)
    assert _checks_after_each(server, 2) == [0, 0]

    def broken(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        return execute("SELECT * FROM garita_no_such_table", params, many, context)

    with server.db.execute_wrapper(broken):
        status, _headers, _body = server.get()
    assert status == 500  # a bug, not an outage
    # Django checks the connection at the end of that request; the next request is checked
    # again, as Django does, before the connection is trusted once more.
    assert server.checks == 1
    assert _checks_after_each(server, 2) == [2, 2]


def test_a_connection_killed_while_idle_is_replaced_without_an_error(serve: Serve) -> None:
    server = serve(0.3)
    server.get()
    pid = server.backend_pid()
    _kill(pid)
    time.sleep(0.4)
    status, _headers, body = server.get()
    assert status == 200, body
    assert server.checks == 1 and server.backend_pid() != pid


def test_a_connection_killed_within_the_window_answers_503_then_the_next_request_succeeds(
        serve: Serve) -> None:
    """The price of the saved round trip: within the window after a restart, the first
    request on the dead connection answers the retry-able 503 (never a 500); the connection
    is dropped at its end and the next request reconnects by itself."""
    server = serve(30)
    assert _checks_after_each(server, 2) == [0, 0]
    pid = server.backend_pid()
    _kill(pid)
    status, headers, body = server.get()
    assert status == 503, body
    assert b'"service.unavailable"' in body and int(headers["Retry-After"]) > 0
    assert server.db.connection is None, "the dead connection is dropped at the request's end"
    status, _headers, body = server.get()
    assert status == 200, body
    assert server.backend_pid() != pid
