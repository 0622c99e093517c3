"""The WSGI application's two middleware stacks (garita.core.handlers).

The telephony webhooks under /hotline/ go through GARITA_WEBHOOK_MIDDLEWARE; everything else
through MIDDLEWARE. Driven through the real application object gunicorn serves, and through
the test client that mirrors it.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation
from twilio.request_validator import RequestValidator

from garita.core.handlers import GaritaWSGIApplication, is_webhook_path
from garita.core.testing import GaritaClient

TOKEN = "stack-test-token"


@pytest.fixture(autouse=True)
def _signed(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.GARITA_HOTLINE_VALIDATE_SIGNATURE = True
    settings.GARITA_PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.fixture(autouse=True)
def _keep_the_test_transactions_connection():
    """The real WSGI handler closes the connection around each request (as in production);
    inside a test's transaction that would end it on PostgreSQL. Django's test client does
    the same as this."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def wsgi(app, method, path, body=b"", headers=None):
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path_info, "QUERY_STRING": query,
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.errors": io.StringIO(),
        **(headers or {}),
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = {k.lower(): v for k, v in response_headers}

    chunks = app(environ, start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return started["status"], started["headers"], content


def signed_voice_menu(app):
    sig = RequestValidator(TOKEN).compute_signature("http://testserver/hotline/voice", {})
    return wsgi(app, "POST", "/hotline/voice", headers={"HTTP_X_TWILIO_SIGNATURE": sig})


def test_paths_are_dispatched_by_prefix(settings):
    assert is_webhook_path("/hotline/voice/pin")
    assert is_webhook_path("/hotline/sms")
    assert not is_webhook_path("/status")
    assert not is_webhook_path("/hotlinex")
    assert not is_webhook_path("/api/v1/hotline/lookups")


@pytest.mark.django_db
def test_a_webhook_goes_through_the_lean_stack_and_a_page_through_the_full_one(ports):
    app = GaritaWSGIApplication()
    status, headers, body = signed_voice_menu(app)
    assert status == 200 and body.startswith(b"<?xml") and b"<Gather" in body
    assert "x-request-id" in headers  # kept: request id, security headers
    assert headers.get("x-content-type-options") == "nosniff"
    assert "content-security-policy" not in headers  # browser machinery left out
    assert "x-frame-options" not in headers
    assert "set-cookie" not in headers

    status, headers, body = wsgi(app, "GET", "/status")
    assert status == 200
    assert "content-security-policy" in headers and headers["x-frame-options"] == "DENY"
    assert "x-request-id" in headers and "csrftoken=" in headers.get("set-cookie", "")


@pytest.mark.django_db
def test_the_webhook_stack_still_refuses_what_it_must(ports):
    app = GaritaWSGIApplication()
    # Unsigned: 403 from the view's signature check.
    status, _h, body = wsgi(app, "POST", "/hotline/voice")
    assert status == 403 and b"Traceback" not in body
    # A body over the limit: 413 with its stable code, before any view reads it.
    big = urlencode({"Body": "x" * 2_000_000}).encode()
    status, headers, body = wsgi(app, "POST", "/hotline/sms", big)
    assert status == 413 and b"request.too_large" in body
    # Not a webhook route: Django's 404, not a 500.
    status, _h, _b = wsgi(app, "GET", "/hotline/no-such-step")
    assert status == 404


@pytest.mark.django_db
def test_the_test_client_dispatches_like_the_application(ports):
    client = GaritaClient()
    sig = RequestValidator(TOKEN).compute_signature("http://testserver/hotline/voice", {})
    hook = client.post("/hotline/voice", HTTP_X_TWILIO_SIGNATURE=sig)
    page = client.get("/status")
    assert hook.status_code == page.status_code == 200
    assert "Content-Security-Policy" not in hook and "Content-Security-Policy" in page
    assert client.handler is client.pages_handler  # restored after each request


def test_a_request_starts_in_the_default_language_whatever_the_thread_spoke_last(settings):
    from garita.core.middleware import DefaultLanguageMiddleware

    seen = []
    mw = DefaultLanguageMiddleware(lambda request: seen.append(
        translation.get_language()) or HttpResponse())
    translation.activate("pt")
    try:
        mw(RequestFactory().post("/hotline/sms"))
    finally:
        translation.deactivate()
    assert seen == [settings.LANGUAGE_CODE]


def test_the_webhook_stack_keeps_the_safety_middleware(settings):
    kept = set(settings.GARITA_WEBHOOK_MIDDLEWARE)
    for needed in ("garita.core.middleware.RequestIdMiddleware",
                   "garita.ops.middleware.DatabaseUnavailableMiddleware",
                   "garita.core.middleware.BodySizeLimitMiddleware",
                   "django.middleware.security.SecurityMiddleware",
                   "garita.core.middleware.DomainErrorMiddleware"):
        assert needed in kept
    # Same order as the full stack for what both have.
    shared = [m for m in settings.MIDDLEWARE if m in kept]
    assert shared == [m for m in settings.GARITA_WEBHOOK_MIDDLEWARE if m in shared]
