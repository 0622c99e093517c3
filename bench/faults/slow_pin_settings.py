"""Settings for tests/reliability/test_hotline_race_processes.py: Garita's own, with the
hotline's PIN comparison slowed down and counted, to widen a look-up's race window.

`garita.intake.pins.pin_matches` is replaced when these settings are imported, i.e. in
every gunicorn worker before `garita.hotline.services` imports it (django.setup() reads
the settings before it imports any app). The wrapper appends one line per comparison to
`pin_comparisons.log` in GARITA_VAR_DIR (one small O_APPEND write: whole lines, whichever
process writes them), then sleeps GARITA_SLOW_PIN_MS (default 50) before comparing.
"""

import os
import time
from pathlib import Path

from garita.config.settings import *  # noqa: F403
from garita.config.settings import VAR_DIR
from garita.intake import pins

PIN_COMPARISONS_LOG = Path(VAR_DIR) / "pin_comparisons.log"
_DELAY = int(os.environ.get("GARITA_SLOW_PIN_MS", "50")) / 1000
_pin_matches = pins.pin_matches


def _slow_pin_matches(a_number: str, pin: str, digest: str) -> bool:
    with PIN_COMPARISONS_LOG.open("a") as log:
        log.write(f"{os.getpid()} {a_number}\n")
    time.sleep(_DELAY)
    return _pin_matches(a_number, pin, digest)


if getattr(pins.pin_matches, "__name__", "") != "_slow_pin_matches":  # once per process
    pins.pin_matches = _slow_pin_matches
