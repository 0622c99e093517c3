"""One WSGI application, two middleware stacks: pages and API, and the telephony webhooks.

Everything people open in a browser or call through the API goes through settings.MIDDLEWARE
(sessions, language, CSRF, log-in, messages, frame and content-security headers, log-in
lock-outs). The provider's webhooks under GARITA_WEBHOOK_PATH_PREFIXES (`/hotline/`: the voice
steps, SMS, delivery reports, recorded prompts) are machine-to-machine requests, each checked
by its Twilio signature, with no cookie, session, browser or log-in; they go through
GARITA_WEBHOOK_MIDDLEWARE, which keeps what they need (request id, database-outage 503, body
limits, HTTPS redirect and security headers, the default language, refusals with a stable
code) and leaves out the browser machinery, about a third of a millisecond of CPU on every
request of the hotline's busiest path (docs/benchmarks.md).

Same URLconf, same views, same settings: only the middleware list differs.
`garita.core.testing.GaritaClient` is the test client that dispatches the same way, so
tests drive the stack that production runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string


def is_webhook_path(path: str) -> bool:
    return path.startswith(tuple(settings.GARITA_WEBHOOK_PATH_PREFIXES))


class WebhookStackMixin(BaseHandler):
    """A handler whose middleware chain is GARITA_WEBHOOK_MIDDLEWARE (synchronous only).

    Built as Django's BaseHandler.load_middleware builds settings.MIDDLEWARE's chain, for
    the synchronous case: each middleware wraps the next, and its process_view,
    process_template_response and process_exception hooks are registered in the same order.
    """

    # BaseHandler's private view step, which django-stubs leaves undeclared.
    _get_response: Callable[[HttpRequest], HttpResponseBase]

    def load_middleware(self, is_async: bool = False) -> None:
        if is_async:  # pragma: no cover - the webhooks are served by the WSGI application
            raise NotImplementedError("the webhook stack is synchronous")
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.GARITA_WEBHOOK_MIDDLEWARE):
            mw = import_string(path)(handler)
            if hasattr(mw, "process_view"):
                self._view_middleware.insert(0, mw.process_view)
            if hasattr(mw, "process_template_response"):
                self._template_response_middleware.append(mw.process_template_response)
            if hasattr(mw, "process_exception"):
                self._exception_middleware.append(mw.process_exception)
            handler = convert_exception_to_response(mw)
        self._middleware_chain = handler


class WebhookWSGIHandler(WebhookStackMixin, WSGIHandler):
    pass


class GaritaWSGIApplication:
    """Sends webhook paths to the webhook stack and everything else to the full one."""

    def __init__(self) -> None:
        self.pages = WSGIHandler()
        self.webhooks = WebhookWSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if is_webhook_path(environ.get("PATH_INFO", "")):
            return self.webhooks(environ, start_response)
        return self.pages(environ, start_response)
