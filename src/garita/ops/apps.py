"""App config for garita.ops: hooks the database-outage handler into the JSON API.

The API answers a lost database with the same 503 + Retry-After as the pages do.
"""

from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "garita.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.core.signals import got_request_exception
        from django.db import InterfaceError, OperationalError

        from garita.config.api import api
        from garita.ops.middleware import api_database_unavailable, mark_database_failure

        # Ninja catches exceptions before Django's middleware sees them: register there too.
        for exc in (OperationalError, InterfaceError):
            api.add_exception_handler(exc, api_database_unavailable)  # type: ignore[arg-type]
        got_request_exception.connect(mark_database_failure, dispatch_uid="garita.ops.db_down")
