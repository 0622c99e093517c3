"""`garita translations compile|check`: build .mo files with polib (no GNU gettext needed)
and check that every message of every catalogue is translated."""

from __future__ import annotations

from pathlib import Path

import polib
from django.core.management.base import BaseCommand, CommandError, CommandParser

SRC = Path(__file__).resolve().parents[3]
COMPLETE_LANGUAGES = ("es",)  # English is the source; Spanish must be complete.


def catalogues() -> list[Path]:
    return sorted(SRC.glob("**/locale/*/LC_MESSAGES/*.po"))


def untranslated(po_path: Path) -> list[str]:
    po = polib.pofile(str(po_path))
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


class Command(BaseCommand):
    help = "Compile or check translation catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["compile", "check"])

    def handle(self, *args: object, **opts: object) -> None:
        if opts["action"] == "compile":
            for po_path in catalogues():
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            return
        missing = []
        for po_path in catalogues():
            lang = po_path.parts[-3]
            if lang in COMPLETE_LANGUAGES:
                missing += [f"{po_path.relative_to(SRC)}: {m!r}" for m in untranslated(po_path)]
        if missing:
            raise CommandError("untranslated messages:\n" + "\n".join(missing))
        self.stdout.write("translations complete")
