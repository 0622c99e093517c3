"""`garita restore PATH`: replace the database and the signing keys with a backup.

Refuses (before touching anything) an archive that is corrupt, of another format, or
from another database vendor. Stop the web servers and workers first.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garita.ops.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = "Restore the database and the signing keys from a `garita backup` archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument("--key-dir", type=Path, default=None,
                            help="Signing keys directory (default: GARITA_KEY_DIR).")
        parser.add_argument("--no-keys", action="store_true",
                            help="Restore the database only, leave the keys directory alone.")
        parser.add_argument("--check", action="store_true",
                            help="Only read and check the archive's manifest; change nothing.")
        parser.add_argument("--yes", action="store_true",
                            help="Do not ask for confirmation (the database is replaced).")

    def handle(self, *args: object, **opts: Any) -> None:
        path = Path(opts["path"])
        try:
            manifest = read_manifest(path)
            if opts["check"]:
                self.stdout.write(
                    f"archive OK to read: {manifest['database_vendor']}, Garita "
                    f"{manifest['garita_version']}, created {manifest['created_at']}, "
                    f"{len(manifest['members'])} member(s)"
                )
                return
            if not opts["yes"]:
                if not sys.stdin.isatty():
                    raise CommandError("restore replaces the database: pass --yes to confirm")
                answer = input("This REPLACES the database. Type 'restore' to go on: ")
                if answer.strip() != "restore":
                    raise CommandError("restore cancelled")
            report = restore_backup(path, alias=str(opts["database"]),
                                    key_dir=opts["key_dir"],
                                    restore_keys=not opts["no_keys"])
        except BackupError as exc:
            raise CommandError(f"restore refused ({exc.code}): {exc.message}") from exc
        self.stdout.write(
            f"restored {report.vendor} backup from {report.created_at} (Garita "
            f"{report.garita_version}); {report.keys_restored} key file(s). "
            "Now run `garita audit verify`."
        )
