"""Twilio webhook signatures: every hotline webhook refuses unsigned or mis-signed requests.

Twilio signs the exact URL it called plus the POST parameters with the account's auth
token. Behind a proxy the URL Django sees differs (http vs https, inner host), so the URL
is rebuilt from GARITA_PUBLIC_BASE_URL when set, or from X-Forwarded-Proto when trusted.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator


def signed_url(request: HttpRequest) -> str:
    """The URL Twilio requested (and signed)."""
    base = settings.GARITA_PUBLIC_BASE_URL
    if base:
        return base + request.get_full_path()
    scheme = request.scheme
    if settings.GARITA_HOTLINE_TRUST_FORWARDED_PROTO:
        forwarded = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
        if forwarded in ("http", "https"):
            scheme = forwarded
    return f"{scheme}://{request.get_host()}{request.get_full_path()}"


def public_base(request: HttpRequest) -> str:
    """Scheme and host for absolute URLs handed to Twilio (recordings, callbacks)."""
    url = signed_url(request)
    return url[: len(url) - len(request.get_full_path())]


_validators: dict[str, RequestValidator] = {}


def signature_valid(request: HttpRequest) -> bool:
    """The twilio library's check of X-Twilio-Signature against the auth token.

    The signature is first computed over the exact URL requested (one HMAC, what Twilio
    signs); only when that does not match does the library's `validate` run, which also
    tries the URL with and without an explicit port (two more HMACs and URL parsing).
    """
    if not settings.GARITA_HOTLINE_VALIDATE_SIGNATURE:
        return True
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
    if not token or not signature:
        return False
    validator = _validators.get(token)
    if validator is None:
        validator = _validators[token] = RequestValidator(token)
    url = signed_url(request)
    expected = validator.compute_signature(url, request.POST)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return True
    return bool(validator.validate(url, request.POST, signature))


def twilio_webhook(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POST only, CSRF-exempt (Twilio has no cookie), signature checked first."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if not signature_valid(request):
            return HttpResponseForbidden("invalid signature", content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper
