"""`garita serve`: Garita under gunicorn (production-grade WSGI), static files by WhiteNoise."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Garita with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args: object, **opts: object) -> None:
        argv = [
            sys.executable, "-m", "gunicorn", "garita.config.wsgi:application",
            "--bind", f"{opts['host']}:{opts['port']}",
            "--workers", str(opts["workers"]),
            "--threads", str(opts["threads"]),
            "--timeout", str(opts["timeout"]),
            "--access-logfile", "-",
        ]
        self.stdout.write(f"Garita at http://{opts['host']}:{opts['port']}/")
        sys.stdout.flush()
        os.execv(sys.executable, argv)
