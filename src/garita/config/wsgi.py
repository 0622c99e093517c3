"""The WSGI application: pages and API through settings.MIDDLEWARE, the telephony webhooks
through the lean GARITA_WEBHOOK_MIDDLEWARE (garita.core.handlers)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
django.setup(set_prefix=False)

from garita.core.handlers import GaritaWSGIApplication  # noqa: E402

application = GaritaWSGIApplication()
