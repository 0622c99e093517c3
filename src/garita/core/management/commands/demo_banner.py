"""`garita demo_banner`: what to open once the demo is running."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print the pages and tools to try in the demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: object, **opts: object) -> None:
        base = f"http://{opts['host']}:{opts['port']}"
        lines = [
            "",
            "Garita demo is starting. Open:",
            f"  {base}/                      start page",
            f"  {base}/accounts/login/       staff log in (accounts above)",
            f"  {base}/intake/               record an encounter, screen a family",
            f"  {base}/waitlist/san-ysidro/  public waitlist board",
            f"  {base}/status                case status by A-number and PIN",
            f"  {base}/stats/                public statistics",
            f"  {base}/api/v1/docs           API documentation (OpenAPI)",
            f"  {base}/admin/                reference data (admin account)",
        ]
        sample = settings.VAR_DIR / "sample_lookups.json"
        if sample.exists():
            rows = json.loads(sample.read_text())[:3]
            if rows:
                lines.append(
                    "Sample look-ups for /status and the hotline (A-number, PIN, language):")
                lines += [f"  {r['a_number']}  {r['pin']}  {r['language']}" for r in rows]
                lines.append("Try the phone hotline without a phone: .venv/bin/garita hotline call")
        lines.append("")
        self.stdout.write("\n".join(lines))
