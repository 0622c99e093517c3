"""Database outages become a retry-able 503, never a 500 or a half-finished write.

When PostgreSQL restarts or the connection drops, every request answers 503 with
`Retry-After` and the stable code `service.unavailable`; the next request reconnects.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger("garita.ops")

RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)
_MARK = "_garita_database_failed"


def unavailable_response() -> HttpResponse:
    body = {
        "code": "service.unavailable",
        "message": _("The service is briefly unavailable. Please try again in a few seconds."),
    }
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def api_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.warning("database unavailable during API request: %s", exc)
    return unavailable_response()


def mark_database_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Signal receiver: remember that a database error caused this request's 500."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        setattr(request, _MARK, True)


class DatabaseUnavailableMiddleware:
    """Outermost-but-one middleware: turns database outages anywhere below it into 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as exc:  # pragma: no cover - Django converts most of these
            log.warning("database unavailable: %s", exc)
            return unavailable_response()
        # Errors raised inside other middleware reach us as a 500 already rendered;
        # the got_request_exception receiver marked the request if the database caused it.
        if response.status_code == 500 and getattr(request, _MARK, False):
            return unavailable_response()
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, DATABASE_ERRORS):
            log.warning("database unavailable: %s", exc)
            return unavailable_response()
        return None
