"""Django's PostgreSQL backend, without the health check's round trip on a busy connection.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first statement of every request
on a persistent connection: on the hotline a third of all round trips. Here a connection that
ran statements in a request that ended without a database error less than
GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS ago skips that check; a connection idle longer,
fresh from a request with errors, or with the setting at 0, is checked exactly as Django does.
Invariant: only a clean request on this same connection vouches for it, and only from the
time of its last statement; an error or a close withdraws the voucher at once.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL DatabaseWrapper; `vendor` stays "postgresql"."""

    # Set by Django's BaseDatabaseWrapper; django-stubs leaves them undeclared.
    health_check_enabled: bool
    health_check_done: bool

    def __init__(self, settings_dict: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(settings_dict, alias)
        # Seconds after a clean request during which the next one trusts the connection;
        # 0 checks before every request (Django's behaviour). Read again on each connect.
        self.health_check_after_idle = 0.0
        # monotonic() of the last statement of the last clean request, None: not vouched for.
        self._vouched_at: float | None = None
        # monotonic() of the latest statement of the request under way, None: none yet.
        self._used_at: float | None = None

    def connect(self) -> None:
        super().connect()
        self.health_check_after_idle = float(
            getattr(settings, "GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS", 0))

    def close(self) -> None:
        self._vouched_at = self._used_at = None
        super().close()

    def close_if_health_check_failed(self) -> None:
        # Django calls this before every cursor (garita.core.sql too) and transaction start;
        # it checks at most once a request (health_check_done, reset at request start/end).
        now = time.monotonic()
        if (not self.health_check_done and self.connection is not None
                and not self.errors_occurred and self._vouched_at is not None
                and now - self._vouched_at < self.health_check_after_idle):
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self._used_at = now

    def close_if_unusable_or_obsolete(self) -> None:
        # Runs at request start and end (and in the worker's loop). A statement failed since
        # the last commit or rollback: this request vouches for nothing, and the next request
        # is checked as Django checks it, whatever Django's own end-of-request check finds.
        if self.errors_occurred:
            self._vouched_at = self._used_at = None
        super().close_if_unusable_or_obsolete()

    def end_request(self) -> None:
        """A request has finished: if it ran statements here without a database error, the
        connection worked at its last statement."""
        used, self._used_at = self._used_at, None
        if self.connection is None or self.errors_occurred:
            self._vouched_at = None
        elif used is not None:
            self._vouched_at = used


def _end_request(sender: object, **kwargs: Any) -> None:
    # Only requests vouch: a worker's loop (close_old_connections, no request) keeps
    # Django's check on every pass. Correct before or after Django's own request_finished
    # receiver: an error clears the voucher either here or in close_if_unusable_or_obsolete.
    for conn in connections.all(initialized_only=True):
        if isinstance(conn, DatabaseWrapper):
            conn.end_request()


request_finished.connect(_end_request, dispatch_uid="garita.core.db.postgresql.end_request")
