"""The JSON API under /api/v1/: one NinjaAPI, one router per app, stable error bodies.

Every error body is {"code": ..., "message": ...}: DomainError codes from the services,
`request.invalid` for schema failures, `auth.required` / `permission.denied` for access.
Every authenticated write takes an optional Idempotency-Key (garita.idempotency.hooks).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

import garita
from garita.core.errors import DomainError
from garita.idempotency import hooks as idempotency


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from garita.accounts.models import ApiToken

        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(token), revoked=False, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        request.user = row.user
        return row.user


class HeaderTokenAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return TokenAuth().authenticate(request, key or "")


# A bearer token (scripts) or session auth (browser, CSRF-checked). Tokens first: ninja's
# session auth refuses a POST without a CSRF token before the next method is tried, which
# made every scripted POST with a token a 403 (a browser never sends our token by itself,
# so a token needs no CSRF protection).
staff_auth = [TokenAuth(), HeaderTokenAuth(), django_auth]

class GaritaAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return idempotency.document_openapi(super().get_openapi_schema(*args, **kwargs))


api = GaritaAPI(
    title="Garita API",
    version="1",
    description="Asylum processing at a land port of entry (MPP): intake, screening, "
    "waitlist, hearings, hotline and statistics. Errors have stable codes.",
    urls_namespace="api-v1",
    auth=staff_auth,
)
# Before any router is mounted: every operation gets the hooks, none can be left out.
idempotency.install(api)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query")]
        errors.append(
            {"field": ".".join(loc), "code": f"request.{err.get('type', 'invalid')}",
             "message": str(err.get("msg", ""))}
        )
    body = {"code": "request.invalid", "message": _("The request is not valid."), "errors": errors}
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "auth.required", "message": _("Log in or send an API token.")}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "request.malformed", 403: "permission.denied", 404: "not_found",
            405: "method.not_allowed", 429: "throttled"}.get(exc.status_code, "request.error")
    return api.create_response(request, {"code": code, "message": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": _("Not found.")},
                               status=404)


@api.get("/health", auth=None, tags=["system"])
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness and database check for load balancers."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return {"status": "ok", "version": garita.__version__}


# Each app contributes a router from its api.py; the prefix is the app's name.
for _app in ("intake", "screening", "waitlist", "hearings", "notices", "hotline",
             "notifications", "stats"):
    _module = importlib.import_module(f"garita.{_app}.api")
    api.add_router(f"/{_app}/", _module.router, tags=[_app])
