"""The cached Content-Security-Policy header is exactly django-csp's.

garita.core.middleware.CachedCSPMiddleware keeps the header built from the settings instead
of rebuilding it on every response; these tests run django-csp's own middleware and the
cached one on the same requests and responses and compare the headers.
"""

from __future__ import annotations

import pytest
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from garita.core.middleware import CachedCSPMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def plain(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"nonce {request.csp_nonce}")


VIEWS = {
    "plain": plain,
    "nonce": with_nonce,
    "update": csp_update({"img-src": ["https://maps.example"]})(plain),
    "replace": csp_replace({"script-src": ["https://cdn.example"]})(plain),
    "own policy": csp({"default-src": ["'none'"]})(plain),
    "empty policy": csp({})(plain),
    "exempt": csp_exempt()(plain),
    "report-only update": csp_update({"img-src": ["data:"]}, REPORT_ONLY=True)(plain),
    "404": lambda request: HttpResponse(status=404),
}


def headers_from(middleware_class, view, path="/status"):
    request = RequestFactory().get(path)
    mw = middleware_class(view)
    return {h: mw(request).get(h) for h in HEADERS}


@pytest.mark.parametrize("name", list(VIEWS))
def test_same_headers_as_django_csp(name):
    view = VIEWS[name]
    for _ in range(2):  # the second response comes from the cache
        assert headers_from(CachedCSPMiddleware, view) == headers_from(CSPMiddleware, view)


def test_the_site_policy_is_what_the_settings_say(client):
    policy = client.get("/status")["Content-Security-Policy"]
    directives = dict(p.split(" ", 1) for p in policy.split("; "))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data:", "frame-ancestors": "'none'", "form-action": "'self'",
        "base-uri": "'self'",
    }
    assert "Content-Security-Policy-Report-Only" not in client.get("/status")


@pytest.mark.parametrize("name", ["plain", "update", "exempt", "404"])
def test_settings_changes_are_followed(settings, name):
    view = VIEWS[name]
    headers_from(CachedCSPMiddleware, view)  # fill the cache with the old policy
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report"},
        "EXCLUDE_URL_PREFIXES": ["/admin"],
    }
    for path in ("/status", "/admin/x"):
        assert headers_from(CachedCSPMiddleware, view, path) == headers_from(
            CSPMiddleware, view, path)
    assert headers_from(CachedCSPMiddleware, plain)["Content-Security-Policy"] == \
        "default-src 'none'"


def test_debug_error_pages_are_left_alone(settings):
    settings.DEBUG = True
    assert headers_from(CachedCSPMiddleware, VIEWS["404"]) == {h: None for h in HEADERS}


def test_the_nonce_is_refused_after_the_header_is_written():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/status")
    CachedCSPMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
