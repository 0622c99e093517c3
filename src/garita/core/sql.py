"""Hand-written SQL on the hot paths, run on the driver's own cursor.

Django's cursor wrapper costs more than some statements it runs: on SQLite the hotline's
look-up read took ~190 µs through `connection.cursor()` against ~50 µs on the sqlite3
cursor (rewriting %s to ? with a regular expression on every call, the wrapper layers, a
new cursor object). `fetchall` and `execute` here run the same statement on the driver's
cursor, with the placeholders converted once per statement and Django's database errors
(`connection.wrap_database_errors`, so OperationalError is still django.db's and the
outage middleware still answers 503).

When queries are being logged (DEBUG, or a test counting queries with
`django_assert_num_queries`/`CaptureQueriesContext`) the statement goes through Django's
cursor instead, so it is seen and counted like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field

_native: dict[str, str] = {}


def column(field: Field[Any, Any]) -> str:
    """A concrete field's column name (Django calls a field concrete when it has one)."""
    assert field.column is not None, f"{field} is not a concrete field"
    return field.column


def _native_sql(db: Any, sql: str) -> str:
    """`sql` with Django's %s placeholders in the driver's style (SQLite: ?)."""
    native = _native.get(sql)
    if native is None:
        if db.vendor == "sqlite":
            from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

            native = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        else:
            native = sql
        _native[sql] = native
    return native


def _driver_cursor(db: Any) -> Any:
    """The driver's cursor, after the checks Django's `connection.cursor()` makes: a
    failed health check reconnects, a broken transaction refuses, threads don't share."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        if db.vendor == "sqlite":  # Django's own SQLite cursor converts every query
            return db.connection.cursor()
        if db.vendor == "postgresql":
            # psycopg's server-side binding, the parameters sent apart from the statement,
            # and the statement prepared (see _run): PostgreSQL plans it once per connection
            # instead of on every look-up (planning the look-up's join took several times
            # its execution). Django's time-zone loaders are on the connection, so they
            # apply to this cursor too.
            import psycopg

            return psycopg.Cursor(db.connection)
        return db.create_cursor()


def _run(db: Any, cur: Any, sql: str, params: Sequence[Any]) -> None:
    if db.vendor == "postgresql":
        # A prepared statement per connection (psycopg keeps them, up to 100). Behind a
        # transaction-pooling PgBouncer this needs its prepared-statement support (1.21+).
        cur.execute(sql, params, prepare=True)
    else:
        cur.execute(_native_sql(db, sql), params)


def _statement(sql: str, params: Sequence[Any], *, rows: bool) -> list[tuple[Any, ...]]:
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a context-local look-up
    if db.queries_logged:  # DEBUG or a test counting queries: Django's cursor sees it
        with db.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if rows else []
    cur = _driver_cursor(db)
    with db.wrap_database_errors:
        try:
            _run(db, cur, sql, params)
            return cur.fetchall() if rows else []
        finally:
            cur.close()


def fetchall(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of one SELECT, with %s placeholders (as `cursor.execute`)."""
    return _statement(sql, params, rows=True)


def execute(sql: str, params: Sequence[Any]) -> None:
    """One INSERT/UPDATE/DELETE, with %s placeholders; committed with the surrounding
    transaction, or at once in autocommit mode (as `cursor.execute`)."""
    _statement(sql, params, rows=False)
