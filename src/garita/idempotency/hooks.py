"""Idempotency-Key on every write of the JSON API, installed once for the whole NinjaAPI.

`install(api)` adds two hooks to every operation, so that no handler can be left out:
`claim_then_run` wraps the handler (it runs after authentication and schema validation):
it claims the key, or answers with the stored replay, and opens the write's transaction;
`store_then_commit` wraps the whole operation: it stores the rendered answer inside that
transaction and commits it, or rolls it back and gives the key back after a server error.
Operations without authentication ignore the header (see PUBLIC_WRITES).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.transaction import Atomic
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.http.response import HttpResponseBase

from garita.core.errors import DomainError
from garita.idempotency import domain, services

log = logging.getLogger("garita.idempotency")

# The API's writes that take no authentication, so no principal to scope a key to; each is
# safe to repeat as it is (tests/integration/test_idempotency_coverage.py keeps this list).
PUBLIC_WRITES = {
    "POST /api/v1/hotline/lookup": "a read (POST keeps the PIN out of URLs and logs)",
    "POST /api/v1/waitlist/{port}/position": "a read (POST keeps the PIN out of URLs and logs)",
    "POST /api/v1/waitlist/{port}/draw/request":
        "idempotent by itself: one request per group and draw round",
}

_ARMED = "_garita_idempotency_armed"
_PENDING = "_garita_idempotency_pending"
_IN_FLIGHT = "_garita_idempotency_in_flight"


@dataclass
class _Pending:
    claim: services.Claim
    atomic: Atomic


def install(api: Any) -> None:
    """Add the hooks to every operation of `api` (call before its routers are mounted)."""
    api.add_decorator(store_then_commit, mode="view")
    api.add_decorator(claim_then_run, mode="operation")


def _principal_id(request: HttpRequest) -> int | None:
    """The user the API authenticated (session or token), or None on a public operation."""
    auth = getattr(request, "auth", None)
    if auth is None or not getattr(auth, "is_authenticated", False):
        return None
    return int(auth.pk)


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RawPostDataException:
        # A multipart body already parsed (file uploads): its fields and files' digests.
        h = hashlib.sha256()
        for name, values in sorted(request.POST.lists()):
            h.update(repr((name, values)).encode())
        for name, files in sorted(request.FILES.lists()):
            for f in files:
                f.seek(0)
                h.update(repr((name, f.name, f.size)).encode())
                for chunk in f.chunks():
                    h.update(chunk)
                f.seek(0)
        return h.hexdigest().encode()


def replay_response(replay: services.Replay) -> HttpResponse:
    response = HttpResponse(replay.body, status=replay.status,
                            content_type=replay.content_type or None)
    response[domain.REPLAYED_HEADER] = "true"
    return response


def claim_then_run(view_func: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(view_func):
        raise ImproperlyConfigured(
            f"{view_func.__qualname__}: the Idempotency-Key hooks serve sync handlers only")

    @functools.wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Cheapest first: reads and the public writes (the hotline's look-up) pass at once.
        if request.method not in domain.WRITE_METHODS or not getattr(request, _ARMED, False):
            return view_func(request, *args, **kwargs)
        user_id = _principal_id(request)
        key = request.headers.get(domain.HEADER) if user_id is not None else None
        if key is None or user_id is None:
            return view_func(request, *args, **kwargs)
        if not domain.valid_key(key):
            raise services.key_invalid()
        fp = domain.fingerprint(key, method=request.method or "", path=request.path,
                                query=request.META.get("QUERY_STRING", ""), body=_body(request))
        try:
            outcome = services.claim(user_id=user_id, key=key, fingerprint=fp)
        except DomainError as exc:
            if exc.code == "api.idempotency_in_flight":
                setattr(request, _IN_FLIGHT, True)
            raise
        if isinstance(outcome, services.Replay):
            log.info("idempotent replay of %s %s (status %s)", request.method, request.path,
                     outcome.status)
            return replay_response(outcome)
        # The write's transaction, closed by store_then_commit once the answer is stored.
        atomic = transaction.atomic()
        try:
            atomic.__enter__()
        except BaseException:  # the database went away (or SQLite stayed locked)
            _release_quietly(outcome)
            raise
        setattr(request, _PENDING, _Pending(outcome, atomic))
        return view_func(request, *args, **kwargs)

    wrapper._garita_idempotency = True  # type: ignore[attr-defined]
    return wrapper


def store_then_commit(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        setattr(request, _ARMED, True)
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            pending = _take(request)
            if pending is not None:
                _roll_back(pending, sys.exc_info())
            raise
        pending = _take(request)
        if pending is None:
            if getattr(request, _IN_FLIGHT, False):
                response["Retry-After"] = "1"
            return response
        return _finish(request, pending, response)

    wrapper._garita_idempotency = True  # type: ignore[attr-defined]
    return wrapper


def _take(request: HttpRequest) -> _Pending | None:
    pending = getattr(request, _PENDING, None)
    if pending is not None:
        delattr(request, _PENDING)
    return pending


def _roll_back(pending: _Pending, exc_info: Any = (None, None, None)) -> None:
    """Undo the write and give the key back: the next request with it runs again."""
    try:
        if exc_info[0] is None:
            transaction.set_rollback(True)
        pending.atomic.__exit__(*exc_info)
    finally:
        try:
            services.release(pending.claim)
        except Exception:  # noqa: BLE001 - the lease frees the key if the database is gone
            log.warning("could not release an idempotency key after a failed write",
                        exc_info=True)


def _finish(request: HttpRequest, pending: _Pending, response: HttpResponseBase
            ) -> HttpResponseBase:
    status = response.status_code
    if status >= 500:
        _roll_back(pending)
        return response
    try:
        if domain.storable(status) and isinstance(response, HttpResponse):
            held = services.complete(pending.claim, status=status,
                                     content_type=response.get("Content-Type", ""),
                                     body=response.content)
        else:
            held = services.release(pending.claim)
        if not held:
            transaction.set_rollback(True)
    except BaseException:
        _roll_back(pending, sys.exc_info())
        raise
    try:
        pending.atomic.__exit__(None, None, None)  # commit: the write and its answer
    except BaseException:
        _release_quietly(pending.claim)
        raise
    if not held:
        # Taken over by a retry after this attempt's lease ran out: that one answers.
        from garita.config.api import api

        log.warning("idempotency key taken over mid-request; rolled back %s %s",
                    request.method, request.path)
        conflict = api.create_response(request, services.in_flight().as_dict(), status=409)
        conflict["Retry-After"] = "1"
        return conflict
    return response


def _release_quietly(claim: services.Claim) -> None:
    try:
        services.release(claim)
    except Exception:  # noqa: BLE001 - the lease frees the key if the database is gone
        log.warning("could not release an idempotency key", exc_info=True)


def document_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the optional Idempotency-Key header to every authenticated write in the schema."""
    param = {
        "in": "header", "name": domain.HEADER, "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": domain.MAX_KEY_LENGTH,
                   "pattern": domain.KEY_PATTERN},
        "description": (
            "Optional. A unique key (a UUID) per write; a retry with the same key and the "
            "same request gets the first answer again, with `Idempotent-Replayed: true`, "
            "without running the write twice. Kept for GARITA_IDEMPOTENCY_RETENTION_HOURS "
            "(24 h). Errors: 400 `api.idempotency_key_invalid`, 409 "
            "`api.idempotency_in_flight` (retry), 422 `api.idempotency_key_reused`."),
    }
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            if method.upper() in domain.WRITE_METHODS and op.get("security"):
                params = op.setdefault("parameters", [])
                if not any(p.get("name") == domain.HEADER for p in params):
                    params.append(dict(param))
    return schema
