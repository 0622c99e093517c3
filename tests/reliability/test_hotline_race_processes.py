"""Hotline look-ups in parallel across real processes: no more PIN comparisons than the limit.

gunicorn with 4 workers (2 threads each) on the test run's database vendor (a file SQLite
database, as `make demo` and small deployments run it, or PostgreSQL), with the PIN
comparison slowed to 50 ms and counted by bench/faults/slow_pin_settings.py. A burst of
wrong PINs for one A-number, released together through the public JSON API, gets at most
GARITA_HOTLINE_MAX_FAILURES comparisons (every attempt is registered, committed, before its
PIN is compared: garita.hotline.throttle); a later burst with the right PIN among it is
answered locked, never with the case. tests/integration/hotline/test_hotline_lookup_race.py
shows the same on one connection by forced interleavings.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from bench.faults.harness import Stack, make_env
from django.db import connection

from tests.reliability.test_faults import _database_url, _faults_db_name, _pg_admin

pytestmark = [pytest.mark.db_backend, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5
BURST = 16
RIGHT, WRONG = "123456", "000000"  # the seeded case's PIN (make_case's), and another
LOOKUP = "/api/v1/hotline/lookup"
SEED = ("from tests.factories import make_case; "
        f"print(make_case(pin={RIGHT!r}, phone=None).a_number)")


@pytest.fixture
def stack(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = make_env(_database_url(tmp_path), var_dir, PYTHONPATH=path,
                   DJANGO_SETTINGS_MODULE="bench.faults.slow_pin_settings",
                   GARITA_HOTLINE_MAX_FAILURES=str(LIMIT),
                   GARITA_HOTLINE_FAILURE_WINDOW_MINUTES="60",
                   GARITA_HOTLINE_LOCKOUT_MINUTES="30", GARITA_SLOW_PIN_MS="50")
    s = Stack(env=env, var_dir=var_dir)
    migrated = s.garita("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield s
    s.stop_all()
    if connection.vendor == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{_faults_db_name()}" WITH (FORCE)')


def _comparisons(stack: Stack) -> int:
    try:
        return len((stack.var_dir / "pin_comparisons.log").read_text().splitlines())
    except FileNotFoundError:
        return 0


def _lookup(stack: Stack, a_number: str, pin: str) -> tuple[int, str]:
    status, body = stack.post_json(LOOKUP, {"a_number": a_number, "pin": pin}, timeout=60)
    return status, str(body.get("code") or ("case" if "case" in body else body))


def _burst(stack: Stack, a_number: str, pins: list[str]) -> list[tuple[int, str]]:
    """One look-up per PIN, each on its own thread, released together by a barrier."""
    answers: list[tuple[int, str]] = [(0, "")] * len(pins)
    start = threading.Barrier(len(pins))

    def one(i: int) -> None:
        start.wait()
        try:
            answers[i] = _lookup(stack, a_number, pins[i])
        except OSError as exc:  # counted as neither failed nor locked: the asserts show it
            answers[i] = (0, repr(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(pins))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return answers


def test_a_burst_of_parallel_lookups_gets_no_more_pin_comparisons_than_the_limit(stack):
    seeded = stack.garita("shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    a_number = seeded.stdout.strip().splitlines()[-1]
    stack.start_web(workers=4)

    # The case answers its PIN, and the comparison is slowed and counted in the server. (A
    # success gives its registration back: the burst starts from nothing counted.)
    t0 = time.monotonic()
    assert _lookup(stack, a_number, RIGHT) == (200, "case")
    assert time.monotonic() - t0 >= 0.05
    assert _comparisons(stack) == 1

    answers = _burst(stack, a_number, [WRONG] * BURST)
    compared = _comparisons(stack) - 1
    report = (f"{compared} PIN comparisons for a burst of {BURST} wrong PINs "
              f"(limit {LIMIT}); answers: {sorted(answers)}")
    print(report)
    failed = sum(1 for a in answers if a == (404, "hotline.lookup_failed"))
    locked = sum(1 for a in answers if a == (429, "hotline.locked"))
    assert failed + locked == BURST, report
    assert compared <= LIMIT, report
    assert failed <= LIMIT, report
    assert locked >= BURST - LIMIT, report

    # Over the limit, a burst with the right PIN among wrong ones is answered locked, every
    # one, without a comparison.
    answers = _burst(stack, a_number, [RIGHT, WRONG] * 4)
    again = _comparisons(stack) - 1 - compared
    report = f"{again} PIN comparisons once locked; answers: {sorted(answers)}"
    assert answers == [(429, "hotline.locked")] * 8, report
    assert again == 0, report
