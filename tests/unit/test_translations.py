"""Every user-facing string is translatable, and the Spanish catalogues are complete.

For each app, `makemessages` is run on a scratch copy of the app and every message it
extracts must be in the app's committed Spanish catalogue, translated and not fuzzy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "garita"
APPS = sorted(p.name for p in SRC.iterdir() if (p / "apps.py").exists())


def _extract(app: str, tmp_path: Path) -> set[str]:
    scratch = tmp_path / app
    shutil.copytree(SRC / app, scratch, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (scratch / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "es", "--no-wrap",
         "--settings", "garita.config.settings"],
        cwd=scratch, check=True, capture_output=True,
    )
    po = scratch / "locale" / "es" / "LC_MESSAGES" / "django.po"
    if not po.exists():
        return set()
    return {e.msgid for e in polib.pofile(str(po)) if e.msgid}


@pytest.mark.parametrize("app", APPS)
def test_every_message_of_the_app_is_translated_to_spanish(app, tmp_path):
    if shutil.which("xgettext") is None:
        pytest.skip("needs GNU gettext (xgettext): sudo apt-get install gettext")
    extracted = _extract(app, tmp_path)
    if not extracted:
        return
    po_path = SRC / app / "locale" / "es" / "LC_MESSAGES" / "django.po"
    assert po_path.exists(), f"{app} has translatable strings but no Spanish catalogue"
    po = polib.pofile(str(po_path))
    done = {e.msgid for e in po if e.translated() and "fuzzy" not in e.flags and not e.obsolete}
    missing = sorted(extracted - done)
    assert not missing, f"{app}: {len(missing)} messages not translated to Spanish: {missing[:10]}"


# Same msgid, an equivalent word in another catalogue: nothing to fix.
SHADOWED_AND_FINE = {("pt", "", "Email")}  # Django's "Email" against our "E-mail"


@pytest.mark.parametrize("language", ["es", "pt", "ht"])
def test_no_translation_of_ours_is_shadowed_by_another_catalogue(language, settings):
    """Django merges catalogues and the app listed first in INSTALLED_APPS wins (contrib.admin
    comes first): a short msgid such as "Change" would show admin's "Modificar" instead of
    our "Cambiar". Such words take a context (pgettext) so that our translation is the one
    shown; this lists every one that is not."""
    from django.utils import translation

    shadowed = []
    with translation.override(language):
        for app in APPS:
            po_path = SRC / app / "locale" / language / "LC_MESSAGES" / "django.po"
            if not po_path.exists():
                continue
            for e in polib.pofile(str(po_path)):
                if (not e.translated() or "fuzzy" in e.flags or e.obsolete or e.msgid_plural
                        or (language, e.msgctxt or "", e.msgid) in SHADOWED_AND_FINE):
                    continue
                shown = (translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt
                         else translation.gettext(e.msgid))
                if shown != e.msgstr:
                    shadowed.append(f"{app}: {e.msgid!r} shows {shown!r}, not {e.msgstr!r}")
    assert not shadowed, "\n".join(shadowed)
