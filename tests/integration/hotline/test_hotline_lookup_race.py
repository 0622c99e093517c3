"""Look-ups sent in parallel: no more PIN comparisons per key than the limit.

`lookup` used to read the throttle state, compare the PIN, and count a failure only then,
so look-ups processed together all passed the lock check before any of them was counted: a
burst got the limit plus one comparison per concurrent request handler, and a right PIN
among them was answered although the key was over the limit. Each attempt is now
registered on every key (an atomic increment, committed) before its PIN is compared, and
admitted or refused on the count its own increment returned; a success gives it back.

Two ways to run look-ups "together", as in tests/integration/waitlist/test_waitlist_pin_race.py:
- interleaved (every database): each look-up starts while the one before it sits in its
  PIN comparison, i.e. after its lock check and before its failure was counted;
- real threads, one connection each (PostgreSQL; skipped on in-memory SQLite).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.audit.services import record
from garita.hotline import services
from garita.hotline.models import LookupThrottle
from garita.hotline.services import Outcome
from garita.intake import pins
from tests import concurrency
from tests.factories import make_case

T = TypeVar("T")

LIMIT = 5
RIGHT, WRONG = "123456", "000000"  # make_case's PIN, and another
F, L = Outcome.FAILED, Outcome.LOCKED


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = LIMIT
    settings.GARITA_HOTLINE_FAILURE_WINDOW_MINUTES = 60
    settings.GARITA_HOTLINE_LOCKOUT_MINUTES = 30


def _lookup(a_number: str, pin: str = WRONG, *, caller: str = "", ip: str = "",
            channel: str = "voice", now: dt.datetime | None = None) -> Outcome:
    return services.lookup(a_number=a_number, pin=pin, channel=channel, caller=caller, ip=ip,
                           now=now).outcome


def _unknown(i: int = 0) -> str:
    return f"A0999{i:05d}"


def _interleaved(monkeypatch: pytest.MonkeyPatch, attempts: list[Callable[[], T]]
                 ) -> tuple[list[T], int]:
    return concurrency.interleaved(monkeypatch, services, attempts)



def _lockouts() -> list[str]:
    return [e.new["scope"] for e in AuditEvent.objects.filter(action="hotline.lockout")]


def _failures(scope: str, value: str) -> int | None:
    row = LookupThrottle.objects.filter(scope=scope, key_digest=services._key(scope, value))
    return row.values_list("failures", flat=True).first()


def _locked(scope: str, value: str) -> bool:
    return LookupThrottle.objects.filter(scope=scope, key_digest=services._key(scope, value),
                                         locked_until__gt=timezone.now()).exists()


# --- interleaved: every database ----------------------------------------------------------


@pytest.mark.django_db
def test_a_burst_against_one_anumber_from_one_caller_gets_no_more_comparisons_than_the_limit(
        monkeypatch):
    case = make_case()
    burst = [lambda: _lookup(case.a_number, caller="+5266400001") for _ in range(LIMIT + 7)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == LIMIT
    # The LIMIT-th failure starts the lock-out (as one by one); the rest are not compared.
    assert outcomes == [F] * (LIMIT - 1) + [L] + [L] * 7
    assert sorted(_lockouts()) == ["anumber", "caller"]  # once per key, when it starts
    assert _failures("caller", "+5266400001") == _failures("anumber", case.a_number) == LIMIT


@pytest.mark.django_db
def test_a_burst_from_many_callers_against_one_anumber_is_limited_by_the_anumber(monkeypatch):
    case = make_case()
    burst = [lambda i=i: _lookup(case.a_number, caller=f"+52664000{i:02d}")
             for i in range(LIMIT + 7)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == LIMIT
    assert outcomes == [F] * (LIMIT - 1) + [L] * 8
    assert _lockouts() == ["anumber"]
    # The refused look-ups were not counted against their callers.
    assert [_failures("caller", f"+52664000{i:02d}") for i in range(LIMIT, LIMIT + 7)] == [0] * 7


@pytest.mark.django_db
def test_a_burst_from_one_ip_over_many_anumbers_is_limited_by_the_ip(monkeypatch):
    burst = [lambda i=i: _lookup(_unknown(i), ip="198.51.100.66", channel="web")
             for i in range(LIMIT + 7)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == LIMIT
    assert outcomes == [F] * (LIMIT - 1) + [L] * 8
    assert _lockouts() == ["ip"]
    assert _lookup(_unknown(99), ip="198.51.100.67", channel="web") == F  # others unaffected


@pytest.mark.django_db
@pytest.mark.parametrize("right_at", [LIMIT, LIMIT + 1, LIMIT + 6])
def test_a_right_pin_inside_an_over_limit_burst_is_refused(monkeypatch, right_at):
    case = make_case()
    burst: list[Callable[[], Outcome]] = [
        lambda: _lookup(case.a_number, caller="+5266400001") for _ in range(LIMIT + 6)]
    burst.insert(right_at, lambda: services.lookup(
        a_number=case.a_number, pin=RIGHT, channel="voice", caller="+5266400001"))
    pending = list(enumerate(burst))
    results: dict[int, object] = {}

    def start_the_rest() -> None:
        while pending:
            i, attempt = pending.pop(0)
            results[i] = attempt()

    compared = concurrency.Comparisons(monkeypatch, services, during=start_the_rest)
    start_the_rest()
    assert compared.n == LIMIT
    right = results[right_at]
    assert right == services.LookupResult(Outcome.LOCKED)  # no case, no statements
    # ... and after the burst, from this caller or any other.
    assert _lookup(case.a_number, RIGHT, caller="+5266400001") == L
    assert _lookup(case.a_number, RIGHT, caller="+5266400099") == L
    assert not AuditEvent.objects.filter(action="hotline.lookup").exists()


@pytest.mark.django_db
def test_right_pins_in_a_burst_are_given_back(monkeypatch):
    """Look-ups with the right PIN, in flight together with a wrong one from the same
    caller, leave only the wrong one counted against the caller."""
    cases = [make_case() for _ in range(3)]
    burst = [lambda c=c: _lookup(c.a_number, RIGHT, caller="+5266400001") for c in cases]
    burst.append(lambda: _lookup(_unknown(), caller="+5266400001"))
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert outcomes == [Outcome.FOUND] * 3 + [F] and compared == 4
    assert _failures("caller", "+5266400001") == 1
    assert not any(_failures("anumber", c.a_number) for c in cases)
    # LIMIT - 1 more failures before the caller is locked out, as one by one.
    for i in range(LIMIT - 2):
        assert _lookup(_unknown(i + 1), caller="+5266400001") == F
    assert _lookup(_unknown(9), caller="+5266400001") == L


# --- one by one: refunds, refusals, the uniform failure --------------------------------------


@pytest.mark.django_db
def test_a_success_gives_its_attempt_back_and_clears_the_anumber():
    case = make_case()
    now = timezone.now()
    for _ in range(LIMIT - 1):
        assert _lookup(case.a_number, caller="+5266400001", ip="", now=now) == F
    # The LIMIT-th attempt is registered as the one that starts a lock-out; its PIN is
    # right, so the lock-out is given back with it: nothing is locked, nothing audited.
    for _ in range(12):
        assert _lookup(case.a_number, RIGHT, caller="+5266400001", now=now) == Outcome.FOUND
    assert _lockouts() == [] and not LookupThrottle.objects.filter(
        locked_until__isnull=False).exists()
    assert _failures("caller", "+5266400001") == LIMIT - 1  # never cleared by a success
    assert _failures("anumber", case.a_number) == 0  # cleared: the holder mistyped
    # The caller's next failure is its LIMIT-th.
    assert _lookup(_unknown(), caller="+5266400001", now=now) == L
    assert _lockouts() == ["caller"]


@pytest.mark.django_db
def test_refused_look_ups_are_not_counted_and_do_not_extend_the_lock_out():
    case = make_case()
    start = timezone.now()
    for i in range(LIMIT):
        _lookup(_unknown(i), caller="+5266400001", now=start)
    locked_until = LookupThrottle.objects.get(scope="caller").locked_until
    later = start + dt.timedelta(minutes=10)
    for _ in range(20):
        assert _lookup(case.a_number, RIGHT, caller="+5266400001", now=later) == L
        assert _lookup(case.a_number, WRONG, caller="+5266400001", now=later) == L
    assert LookupThrottle.objects.get(scope="caller").locked_until == locked_until
    assert _lockouts() == ["caller"]
    assert not _failures("anumber", case.a_number)  # registered, refused, given back
    ended = locked_until + dt.timedelta(seconds=1)
    assert _lookup(case.a_number, RIGHT, caller="+5266400001", now=ended) == Outcome.FOUND
    assert _lookup(_unknown(), caller="+5266400001", now=ended) == F
    assert _failures("caller", "+5266400001") == 1  # a new window


@pytest.mark.django_db
def test_an_unknown_anumber_and_a_wrong_pin_are_indistinguishable(monkeypatch):
    """The same answer, the same statements, the same HMACs, the same counting, and the
    same lock-out, for an A-number that exists and one that does not."""
    hmacs = {"n": 0}
    real = pins.pin_digest

    def counted(*args: object) -> str:
        hmacs["n"] += 1
        return real(*args)

    monkeypatch.setattr(pins, "pin_digest", counted)
    monkeypatch.setattr(services, "pin_digest", counted, raising=False)
    case = make_case()
    with transaction.atomic():  # the audit chain's head exists before either lock-out
        record(actor=None, action="test.start")
    seen = {}
    for net, (label, a_number) in enumerate((("wrong pin", case.a_number),
                                             ("unknown", _unknown()))):
        ips = [f"198.51.{100 + net}.{i}" for i in range(LIMIT + 1)]
        runs = []
        for ip in ips:
            hmacs["n"] = 0
            with CaptureQueriesContext(connection) as ctx:
                result = services.lookup(a_number=a_number, pin=WRONG, channel="web", ip=ip)
            runs.append((result, hmacs["n"], len(ctx.captured_queries)))
        seen[label] = (runs, _failures("anumber", a_number), _locked("anumber", a_number),
                       [_failures("ip", ip) for ip in ips])
    assert seen["wrong pin"] == seen["unknown"]
    runs = seen["unknown"][0]
    assert [r[0].outcome for r in runs] == [F] * (LIMIT - 1) + [L, L]
    assert {r[1] for r in runs[:LIMIT]} == {1}  # one HMAC per comparison, either way
    assert _lockouts() == ["anumber", "anumber"]


# --- real threads: PostgreSQL -------------------------------------------------------------


_threads_or_skip = concurrency.threads_or_skip
_in_threads = concurrency.in_threads



@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_pins_get_no_more_comparisons_than_the_limit(monkeypatch):
    _threads_or_skip()
    case = make_case()
    # A slow comparison widens the gap between the lock check and the count, as a busy
    # server would (not a timing assertion: nothing below depends on how long it took).
    compared = concurrency.Comparisons(monkeypatch, services, during=lambda: time.sleep(0.05))
    outcomes = _in_threads([lambda: _lookup(case.a_number, caller="+5266400001")
                            for _ in range(12)])
    assert compared.n == LIMIT
    assert outcomes.count(F) == LIMIT - 1 and outcomes.count(L) == 12 - LIMIT + 1
    assert sorted(_lockouts()) == ["anumber", "caller"]
    assert _lookup(case.a_number, RIGHT, caller="+5266400002") == L


@pytest.mark.django_db(transaction=True)
def test_parallel_failures_are_all_counted_and_parallel_successes_all_given_back():
    _threads_or_skip()
    case = make_case()
    n = LIMIT - 1
    outcomes = _in_threads([lambda i=i: _lookup(case.a_number, caller=f"+52664000{i:02d}")
                            for i in range(n)])
    assert outcomes == [F] * n
    assert _failures("anumber", case.a_number) == n and not _lockouts()
    assert _lookup(case.a_number, RIGHT, caller="+5266400077") == Outcome.FOUND
    assert _failures("anumber", case.a_number) == 0
    # Successes in parallel from one (withheld) caller number: all answered, none left
    # counted (fewer than the limit in flight at once).
    others = [make_case() for _ in range(LIMIT - 1)]
    outcomes = _in_threads([lambda c=c: _lookup(c.a_number, RIGHT, caller="anonymous")
                            for c in others])
    assert outcomes == [Outcome.FOUND] * (LIMIT - 1)
    assert not _failures("caller", "anonymous")


@pytest.mark.django_db(transaction=True)
def test_parallel_successes_and_failures_on_the_same_keys_all_get_their_answer():
    """Successes give back two rows (caller, A-number) while other look-ups register on
    the same two: every statement locks them in one order, so none waits for another in
    a cycle (a deadlock would fail a look-up after a second). The caller's row is the
    older one, so the order of the rows in the table is not the order they are locked in."""
    _threads_or_skip()
    for n in range(8):
        caller = f"+52664001{n:02d}"
        assert _lookup(_unknown(n), WRONG, caller=caller) == F  # the caller's row first
        case = make_case()
        jobs = [lambda pin=pin, a=case.a_number, c=caller: _lookup(a, pin, caller=c)
                for pin in (RIGHT, RIGHT, WRONG)]
        outcomes = _in_threads(jobs)
        assert sorted(outcomes) == sorted([Outcome.FOUND] * 2 + [F])
        assert _failures("caller", caller) == 2  # the wrong PINs are left counted
        assert _failures("anumber", case.a_number) in (0, 1)  # 1 if counted after them all


@pytest.mark.django_db(transaction=True)
def test_the_registrations_relaxed_commit_stays_in_its_own_transaction():
    """On PostgreSQL the registration (folded into the look-up's read) commits without
    waiting for the disk: `set_config(..., is_local => true)` in that one statement. The
    setting must end with it: the audit insert after a success, and every other write on
    the connection, still commit synchronously."""
    if connection.vendor != "postgresql":
        pytest.skip("the relaxed commit is PostgreSQL's (SQLite runs synchronous=NORMAL)")
    case = make_case()

    def setting() -> str:
        with connection.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            return cur.fetchone()[0]

    before = setting()
    assert before == "on"
    with CaptureQueriesContext(connection) as ctx:
        assert _lookup(case.a_number, RIGHT, caller="+5266400009") == Outcome.FOUND
    read = next(q["sql"] for q in ctx.captured_queries if "WITH bump" in q["sql"])
    assert "set_config('synchronous_commit', 'off', true)" in read
    assert setting() == before
    assert _lookup(case.a_number, WRONG, caller="+5266400009") == F
    assert setting() == before
    assert AuditEvent.objects.count() + _unsealed() >= 1


def _unsealed() -> int:
    from garita.audit.models import UnsealedEvent

    return UnsealedEvent.objects.filter(action="hotline.lookup").count()


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_registration_does_not_relax_its_commit():
    """Were `lookup` ever called inside a transaction, the relaxed setting would apply to the
    caller's whole transaction: the plain statement is used there instead."""
    if connection.vendor != "postgresql":
        pytest.skip("the relaxed commit is PostgreSQL's")
    case = make_case()
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        assert _lookup(case.a_number, RIGHT, caller="+5266400010") == Outcome.FOUND
        with connection.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            assert cur.fetchone()[0] == "on"
    read = next(q["sql"] for q in ctx.captured_queries if "WITH bump" in q["sql"])
    assert "synchronous_commit" not in read
