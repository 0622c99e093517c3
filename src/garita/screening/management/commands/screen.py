"""`garita screen --json FILE|-`: evaluate one profile with the current rule set, print the
decision as JSON, save nothing. A missing or malformed key is named; exit status 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from garita.core.errors import DomainError
from garita.screening.domain import DEFAULT_RULE_SET, ScreeningProfile, evaluate
from garita.screening.selectors import rule_set_current


class Command(BaseCommand):
    help = "Evaluate one screening profile (JSON) against the current rule set; saves nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", dest="path", required=True,
                            help="A JSON file with the profile, or - for standard input.")

    def handle(self, *args: object, **opts: object) -> None:
        path = str(opts["path"])
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"profile: not valid JSON ({exc})", returncode=2) from None
        try:
            profile = ScreeningProfile.from_dict(data)
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}", returncode=2) from None
        try:
            rules = rule_set_current()
        except DatabaseError:  # no database yet: the built-in default still answers
            rules = DEFAULT_RULE_SET
        decision = evaluate(profile, rules)
        self.stdout.write(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))
