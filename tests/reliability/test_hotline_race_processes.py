"""Hotline look-ups in parallel across real processes: no more PIN comparisons than the limit.

gunicorn with 4 workers on the test run's database vendor (a file SQLite database, as `make
demo` and small deployments run it, or PostgreSQL), with every PIN comparison slowed to 50 ms
and counted in the server by bench/faults/slow_pin_settings.py. Look-ups for one A-number
released together through the public JSON API, each from its own loopback address (the API
throttles on REMOTE_ADDR: only the A-number's key is shared), get at most
GARITA_HOTLINE_MAX_FAILURES comparisons, and the right PIN sent while the limit's worth of
wrong ones are being compared is answered locked, never with the case: every attempt is
registered, committed, before its PIN is compared (garita.hotline.throttle).
tests/integration/hotline/test_hotline_lookup_race.py shows the same on one connection by
forced interleavings; both fail on the code before the fix (lock check, comparison, then
the failure counted).
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.faults.harness import Stack, make_env
from django.db import connection

from tests.reliability.test_faults import _database_url, _faults_db_name, _pg_admin

# One xdist worker runs both tests (`make test`'s --dist loadgroup): one server for both.
pytestmark = [pytest.mark.db_backend, pytest.mark.slow,
              pytest.mark.xdist_group("hotline_race_processes")]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5
BURST = 16
RIGHT, WRONG = "123456", "000000"  # the seeded cases' PIN (make_case's), and another
LOCKED = (429, "hotline.locked")
FAILED = (404, "hotline.lookup_failed")
LOOKUP = "/api/v1/hotline/lookup"
SEED = ("from tests.factories import make_case\n"
        "for _ in range(2): print(make_case(pin={right!r}, phone=None).a_number)")


def _db_name() -> str:
    """The throw-away PostgreSQL database's name: its own, per xdist worker (the fault
    drills' may be in use by another worker)."""
    return _faults_db_name(f"hlrace{os.environ.get('PYTEST_XDIST_WORKER', '')}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[Stack, list[str]]]:
    """gunicorn (4 workers, 4 threads each) with the slow, counted PIN comparison, and two
    cases whose PIN is RIGHT."""
    tmp_path = tmp_path_factory.mktemp("hlrace")
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = make_env(_database_url(tmp_path, _db_name()), var_dir, PYTHONPATH=path,
                   DJANGO_SETTINGS_MODULE="bench.faults.slow_pin_settings",
                   GARITA_HOTLINE_MAX_FAILURES=str(LIMIT),
                   GARITA_HOTLINE_FAILURE_WINDOW_MINUTES="60",
                   GARITA_HOTLINE_LOCKOUT_MINUTES="30", GARITA_SLOW_PIN_MS="50")
    stack = Stack(env=env, var_dir=var_dir)
    try:
        migrated = stack.garita("migrate", "--noinput", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        seeded = stack.garita("shell", "-c", SEED.format(right=RIGHT))
        assert seeded.returncode == 0, seeded.stderr
        a_numbers = seeded.stdout.split()[-2:]
        # 16 request threads, one per look-up of the burst (as far as gunicorn spreads them).
        stack.start_web(workers=4, threads=4)
        yield stack, a_numbers
    finally:
        stack.stop_all()
        if connection.vendor == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{_db_name()}" WITH (FORCE)')


def _comparisons(stack: Stack, a_number: str) -> int:
    """The server's PIN comparisons for this A-number so far (one line each)."""
    try:
        lines = (stack.var_dir / "pin_comparisons.log").read_text().splitlines()
    except FileNotFoundError:
        return 0
    return sum(1 for line in lines if line.endswith(f" {a_number}"))


def _lookup(stack: Stack, a_number: str, pin: str, ip: str) -> tuple[int, str]:
    """POST the look-up from `ip` (a loopback address: the server sees it as REMOTE_ADDR);
    (status, error code or "case")."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60,
                                      source_address=(ip, 0))
    try:
        conn.request("POST", LOOKUP, body=json.dumps({"a_number": a_number, "pin": pin}),
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        body = json.loads(res.read() or b"{}")
    except (OSError, ValueError) as exc:  # neither failed nor locked: the asserts show it
        return 0, repr(exc)
    finally:
        conn.close()
    return res.status, str(body.get("code") or ("case" if "case" in body else body))


def _burst(stack: Stack, a_number: str, pins: list[str], net: int,
           then: tuple[int, str] | None = None) -> tuple[list[tuple[int, str]],
                                                       tuple[int, str] | None]:
    """One look-up per PIN, each on its own thread and from its own address 127.0.<net>.i,
    released together by a barrier. `then` (comparisons, PIN): once the server has started
    that many comparisons for the A-number, one more look-up with that PIN (its answer is
    the second value returned)."""
    answers: list[tuple[int, str]] = [(0, "no answer")] * len(pins)
    start = threading.Barrier(len(pins) + 1)

    def one(i: int) -> None:
        start.wait()
        answers[i] = _lookup(stack, a_number, pins[i], f"127.0.{net}.{i + 1}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(pins))]
    for t in threads:
        t.start()
    start.wait()
    late = None
    if then is not None:
        deadline = time.monotonic() + 30
        while _comparisons(stack, a_number) < then[0] and time.monotonic() < deadline:
            time.sleep(0.001)
        late = _lookup(stack, a_number, then[1], f"127.0.{net}.250")
    for t in threads:
        t.join(timeout=90)
    return answers, late


def test_a_burst_of_wrong_pins_gets_no_more_comparisons_than_the_limit(server):
    stack, (a_number, *_) = server
    # The case answers its PIN, and the comparison is slowed and counted in the server. (A
    # success gives its registration back: the burst starts from nothing counted.)
    t0 = time.monotonic()
    assert _lookup(stack, a_number, RIGHT, "127.0.1.1") == (200, "case")
    assert time.monotonic() - t0 >= 0.05
    assert _comparisons(stack, a_number) == 1

    answers, _ = _burst(stack, a_number, [WRONG] * BURST, net=2)
    compared = _comparisons(stack, a_number) - 1
    report = (f"{compared} PIN comparisons for {BURST} wrong PINs sent together (limit "
              f"{LIMIT}); answers: {sorted(answers)}")
    print(report)
    assert answers.count(FAILED) + answers.count(LOCKED) == BURST, report
    assert compared <= LIMIT, report
    assert answers.count(FAILED) <= LIMIT, report

    # Over the limit, the right PIN among wrong ones is answered locked, without a comparison.
    answers, _ = _burst(stack, a_number, [RIGHT, WRONG] * 4, net=3)
    again = _comparisons(stack, a_number) - 1 - compared
    report = f"{again} PIN comparisons once locked; answers: {sorted(answers)}"
    assert answers == [LOCKED] * 8, report
    assert again == 0, report


def test_the_right_pin_sent_while_the_limit_of_wrong_ones_is_compared_is_locked(server):
    stack, (_, a_number) = server
    # LIMIT + 1 wrong PINs together; the right one as soon as the server compares LIMIT of
    # them (before any of their answers, 50 ms later): by then they are all counted.
    answers, late = _burst(stack, a_number, [WRONG] * (LIMIT + 1), net=4, then=(LIMIT, RIGHT))
    compared = _comparisons(stack, a_number)
    report = (f"the right PIN was answered {late}; {compared} PIN comparisons (limit "
              f"{LIMIT}); the wrong ones: {sorted(answers)}")
    print(report)
    assert late == LOCKED, report
    assert compared <= LIMIT, report
    assert answers.count(FAILED) + answers.count(LOCKED) == LIMIT + 1, report
