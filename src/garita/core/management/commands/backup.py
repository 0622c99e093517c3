"""`garita backup [PATH]`: one archive with the database and the signing keys.

SQLite is copied with the online backup API and PostgreSQL with `pg_dump -Fc`, so the
archive is consistent while the web server and the workers keep running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from garita.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database and the signing keys into one archive (.tar.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=None,
                            help="Archive to write (default: var/backups/garita-<time>.tar.gz).")
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument("--key-dir", type=Path, default=None,
                            help="Signing keys directory (default: GARITA_KEY_DIR).")

    def handle(self, *args: object, **opts: Any) -> None:
        path = opts["path"] or (
            settings.VAR_DIR / "backups"
            / f"garita-{timezone.now().strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
        )
        try:
            manifest = create_backup(Path(path), alias=str(opts["database"]),
                                     key_dir=opts["key_dir"])
        except BackupError as exc:
            raise CommandError(f"backup failed ({exc.code}): {exc.message}") from exc
        keys = sum(1 for m in manifest["members"] if m.startswith("keys/"))
        self.stdout.write(
            f"backup written: {path} ({manifest['database_vendor']}, {keys} key file(s), "
            f"created {manifest['created_at']})"
        )
