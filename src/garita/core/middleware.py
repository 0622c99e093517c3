"""Request id and body limits, the first things every request meets; the CSP header.

A body over GARITA_MAX_BODY_BYTES is refused with 413 and a stable code before any view
reads it, so no handler ever half-processes an oversized request; a NUL character in the
query string, a form or a JSON body is refused with 400 `request.nul_byte` (PostgreSQL text
cannot hold it, so it would otherwise end as a 500).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict

from csp.constants import HEADER as CSP_HEADER
from csp.constants import HEADER_REPORT_ONLY as CSP_HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from garita.core.request_context import new_request_id, reset_request_id, set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else new_request_id()
        request.request_id = rid  # type: ignore[attr-defined]
        token = set_request_id(rid)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = rid
        return response


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.GARITA_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return JsonResponse(
                {
                    "code": "request.too_large",
                    "message": _("The request body is too large (limit %(limit)d bytes).")
                    % {"limit": limit},
                },
                status=413,
            )
        if _has_nul(request):
            # PostgreSQL text cannot hold U+0000; no field of Garita's needs it. Refused here,
            # once, so that no query or form value reaches the database with one (a 500).
            return JsonResponse(
                {"code": "request.nul_byte",
                 "message": _("The request contains a NUL character, which is not allowed.")},
                status=400,
            )
        return self.get_response(request)


_NUL_QUERY = re.compile(rb"%00|\x00")
_NUL_JSON = re.compile(rb"\\u0000|\x00")


def _has_nul(request: HttpRequest) -> bool:
    """A NUL in the query string, a url-encoded form or a JSON body (not in file uploads,
    whose bytes are not text).

    Not the hotline's webhooks: they must answer any text with a helpful TwiML reply in the
    caller's language, never a bare 400, and their parsers take arbitrary text (NULs
    included; property-tested) without storing it."""
    if request.path.startswith("/hotline/"):
        return False
    if _NUL_QUERY.search(request.META.get("QUERY_STRING", "").encode("latin-1", "replace")):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    ctype = request.META.get("CONTENT_TYPE", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        return bool(_NUL_QUERY.search(request.body))
    if "json" in ctype:
        return bool(_NUL_JSON.search(request.body))
    return False


class DefaultLanguageMiddleware:
    """The site's default language for the request (the webhook stack has no
    LocaleMiddleware): a thread never answers in the language a previous request left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)


class DomainErrorMiddleware:
    """A DomainError that escapes a page view is a refusal, not a crash: render it as a
    4xx page with its stable code (403 permission, 404 not found, 409 conflict, 400 else).

    Views should still catch the errors they can show beside a form field; this is the net
    under them, so that a forgotten check never becomes a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from garita.core.errors import DomainError

        if not isinstance(exc, DomainError):
            return None
        if request.path.startswith("/api/") or "application/json" in request.META.get(
            "HTTP_ACCEPT", ""
        ):
            return JsonResponse(exc.as_dict(), status=exc.status)
        return render(request, "core/refused.html", {"error": exc}, status=exc.status)


class CachedCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the settings' policy built once per process.

    django-csp 4 rebuilds the Content-Security-Policy header from the settings on every
    response (twice: enforced and report-only), although Garita's policy has no nonce and no
    per-request part. The header for the settings' policy is kept per report-only flag and
    rebuilt when a CONTENT_SECURITY_POLICY* setting changes. A response with its own policy
    (the csp/csp_update/csp_replace decorators) or a request that used its nonce is built
    by django-csp's build_policy exactly as before; exemptions, excluded URL prefixes and
    the DEBUG error pages behave as in django-csp's own process_response, which this one
    mirrors (tests compare the headers of both).
    """

    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting, exempt_attr in _CSP_HEADERS:
            value = self._policy(request, response, report_only)
            if not value or header in response or getattr(response, exempt_attr, False) \
                    is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if not request.path_info.startswith(tuple(prefixes or ())):
                response[header] = value
        # As django-csp: after the header is written, reading the nonce is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(  # type: ignore[attr-defined]
                self._csp_nonce_post_response)
        return response

    def _policy(self, request: HttpRequest, response: HttpResponseBase,
                report_only: bool) -> str:
        parts = self.get_policy_parts(request=request, response=response,
                                      report_only=report_only)
        if (parts.config is not None or parts.update is not None
                or parts.replace is not None or parts.nonce is not None):
            return build_policy(**asdict(parts), report_only=report_only)
        policy = _csp_policies.get(report_only)
        if policy is None:
            policy = _csp_policies[report_only] = build_policy(report_only=report_only)
        return policy


_CSP_HEADERS = (
    (False, CSP_HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
    (True, CSP_HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
)
_csp_policies: dict[bool, str] = {}


@receiver(setting_changed)
def _forget_csp_policies(*, setting: str, **_kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _csp_policies.clear()
