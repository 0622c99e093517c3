"""Settings for bench/hotline_load.py: Garita's own, plus an empty-response URL to compare.

Signatures stay on (the IVR step is measured with real signed requests); logs are quiet.
"""

import os

from garita.config.settings import *  # noqa: F403
from garita.config.settings import DATABASES

# Persistent connections, as a production server runs: opening a connection per request
# (Django's default, CONN_MAX_AGE=0) cost ~8 ms of CPU per request on SQLite here (Django
# registers its SQL functions on every new connection), more than the look-up itself.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("GARITA_DB_CONN_MAX_AGE", "60"))

ROOT_URLCONF = "hotline_bench_urls"
DEBUG = False
TWILIO_AUTH_TOKEN = "bench-auth-token"
GARITA_HOTLINE_VALIDATE_SIGNATURE = True
GARITA_PUBLIC_BASE_URL = ""
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# One client IP does every look-up: failures never happen, but keep the lock-out far away.
GARITA_HOTLINE_MAX_FAILURES = 10**9
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "ERROR"}}
