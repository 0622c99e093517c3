"""Test helpers that mirror production: the test client dispatches as the WSGI application."""

from __future__ import annotations

from typing import Any

from django.test.client import Client, ClientHandler

from garita.core.handlers import WebhookStackMixin, is_webhook_path


class WebhookClientHandler(WebhookStackMixin, ClientHandler):
    pass


class GaritaClient(Client):
    """django.test.Client that serves webhook paths through the webhook stack, as
    GaritaWSGIApplication does in production."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages_handler = self.handler
        self.webhooks_handler = WebhookClientHandler(
            kwargs.get("enforce_csrf_checks", False))

    def request(self, **request: Any) -> Any:
        webhook = is_webhook_path(request.get("PATH_INFO", ""))
        self.handler = self.webhooks_handler if webhook else self.pages_handler
        try:
            return super().request(**request)
        finally:
            self.handler = self.pages_handler
