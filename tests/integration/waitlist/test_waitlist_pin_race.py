"""Wrong PINs sent in parallel: the limits hold for a burst, and no failure is lost.

The PIN check used to read its failure counters, then check the PIN, then count the
failure, so requests arriving together all passed the "too many failures?" test before
any of them was counted; and the database cache's `incr` (a read, then a write) lost
increments made at the same moment. Each attempt is now counted, atomically, before its
PIN is checked, and let through or refused on the count its own increment returned.

Two ways to run requests "together":
- interleaved (every database): each request starts while the one before it sits between
  its limit check and its PIN comparison, the worst moment (a hook on the comparison);
- real threads, one connection each (PostgreSQL; skipped on in-memory SQLite, which
  serialises them anyway).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import transaction
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.core.errors import DomainError
from garita.waitlist import services
from tests import concurrency

T = TypeVar("T")

PORT = "san-ysidro"


def _attempt(number: int, client: str, pin: str = "000000",
             at: dt.datetime | None = None) -> str:
    """One PIN check; its error code, or "ok"."""
    try:
        services.check_pin(port=PORT, number=number, pin=pin, client=client, at=at)
    except DomainError as exc:
        return exc.code
    return "ok"


def _interleaved(monkeypatch: pytest.MonkeyPatch, attempts: list[Callable[[], T]]
                 ) -> tuple[list[T], int]:
    return concurrency.interleaved(monkeypatch, services, attempts)



def _actions(prefix: str = "waitlist.pin_") -> list[str]:
    return list(AuditEvent.objects.filter(action__startswith=prefix)
                .values_list("action", flat=True))


# --- interleaved: every database ----------------------------------------------------------


@pytest.mark.django_db
def test_a_burst_from_one_client_on_one_number_gets_no_more_guesses_than_the_limit(
        register, monkeypatch):
    register(1)
    burst = [lambda: _attempt(1, "6.6.6.6") for _ in range(services.PIN_MAX_FAILURES + 7)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == services.PIN_MAX_FAILURES
    assert outcomes.count("waitlist.bad_pin") == services.PIN_MAX_FAILURES
    assert outcomes.count("waitlist.pin_throttled") == 7
    actions = _actions()
    assert actions.count("waitlist.pin_failed") == services.PIN_MAX_FAILURES
    assert actions.count("waitlist.pin_throttled") == 1


@pytest.mark.django_db
def test_a_burst_from_one_client_over_many_numbers_gets_no_more_guesses_than_the_limit(
        register, monkeypatch):
    limit = services.PIN_CLIENT_MAX_FAILURES
    for _ in range(limit + 5):
        register(1)
    burst = [lambda n=n: _attempt(n, "6.6.6.6") for n in range(1, limit + 6)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == limit
    assert outcomes.count("waitlist.bad_pin") == limit
    assert outcomes[limit:] == ["waitlist.pin_throttled"] * 5
    assert _attempt(1, "10.0.0.7") == "waitlist.bad_pin"  # other clients are unaffected


@pytest.mark.django_db
def test_a_burst_from_many_addresses_on_one_number_is_slowed_down_like_a_sequence(
        register, monkeypatch):
    reg = register(1)
    now = timezone.now()
    after = services.PIN_SLOWDOWN_AFTER
    burst = [lambda i=i: _attempt(1, f"6.6.{i}.1", at=now) for i in range(after + 6)]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert compared == after
    assert outcomes == ["waitlist.bad_pin"] * after + ["waitlist.pin_slowdown"] * 6
    assert _actions().count("waitlist.pin_slowdown") == 1
    # The holder gets in once the wait is over, as with wrong PINs sent one by one.
    assert _attempt(1, "10.0.0.7", pin=reg.pin, at=now) == "waitlist.pin_slowdown"
    assert _attempt(1, "10.0.0.7", pin=reg.pin, at=now + dt.timedelta(seconds=2)) == "ok"


@pytest.mark.django_db
def test_the_right_pin_in_a_burst_is_not_counted_as_a_failure(register, monkeypatch):
    """The holder's own check, in flight with other checks, is refunded once its PIN is
    found right: it leaves no failure behind for the client or the number."""
    reg = register(1)
    register(1)
    burst = [lambda: _attempt(1, "10.0.0.7", pin=reg.pin) for _ in range(3)]
    burst += [lambda: _attempt(2, "10.0.0.7")]
    outcomes, compared = _interleaved(monkeypatch, burst)
    assert outcomes == ["ok", "ok", "ok", "waitlist.bad_pin"] and compared == 4
    events = AuditEvent.objects.filter(action="waitlist.pin_failed")
    assert [e.new["failures_on_number"] for e in events] == [1]
    # Only the one wrong PIN counts against the client: 19 more before it is refused.
    for n in range(services.PIN_CLIENT_MAX_FAILURES - 1):
        assert _attempt(100 + n, "10.0.0.7") == "waitlist.bad_pin"
    assert _attempt(1, "10.0.0.7", pin=reg.pin) == "waitlist.pin_throttled"


# --- windows, refunds, clean-up, the transaction rule ---------------------------------------


@pytest.mark.django_db
def test_the_limits_end_with_their_windows(register):
    reg = register(1)
    start = timezone.now()
    assert _attempt(1, "6.6.6.6", pin=reg.pin, at=start) == "ok"  # starts no window
    now = start + dt.timedelta(minutes=14)
    for _ in range(services.PIN_MAX_FAILURES):
        assert _attempt(1, "6.6.6.6", at=now) == "waitlist.bad_pin"
    assert _attempt(1, "6.6.6.6", pin=reg.pin, at=now) == "waitlist.pin_throttled"
    later = now + dt.timedelta(seconds=services.PIN_WINDOW_SECONDS - 1)
    assert _attempt(1, "6.6.6.6", pin=reg.pin, at=later) == "waitlist.pin_throttled"
    later = now + dt.timedelta(seconds=services.PIN_WINDOW_SECONDS)
    assert _attempt(1, "6.6.6.6", pin=reg.pin, at=later) == "ok"
    # A new window counts from one again.
    for _ in range(services.PIN_MAX_FAILURES):
        assert _attempt(1, "6.6.6.6", at=later) == "waitlist.bad_pin"
    assert _attempt(1, "6.6.6.6", at=later) == "waitlist.pin_throttled"


@pytest.mark.django_db
def test_refused_attempts_are_not_counted(register):
    """A refused attempt is not a guess: it neither lengthens a wait nor counts against
    the client elsewhere (as before)."""
    register(1)
    register(1)
    for _ in range(services.PIN_MAX_FAILURES):
        _attempt(1, "6.6.6.6")
    for _ in range(30):
        assert _attempt(1, "6.6.6.6") == "waitlist.pin_throttled"
    left = services.PIN_CLIENT_MAX_FAILURES - services.PIN_MAX_FAILURES
    for n in range(left):
        assert _attempt(100 + n, "6.6.6.6") == "waitlist.bad_pin"
    assert _attempt(2, "6.6.6.6") == "waitlist.pin_throttled"


@pytest.mark.django_db
def test_counters_that_count_nothing_are_deleted_and_the_others_kept(register):
    from garita.notifications.management.commands import worker
    from garita.waitlist.models import PinCounter

    reg = register(1)
    now = timezone.now()
    for i in range(services.PIN_SLOWDOWN_AFTER):
        _attempt(1, f"6.6.{i}.1", at=now)
    _attempt(2, "7.7.7.7", at=now + dt.timedelta(hours=1))
    assert services.prune_pin_counters(now=now) == 0
    # A right PIN gives its attempt back: its client's and pair's counts are at zero.
    assert _attempt(1, "10.0.0.7", pin=reg.pin, at=now + dt.timedelta(seconds=2)) == "ok"
    assert services.prune_pin_counters(now=now + dt.timedelta(seconds=2)) == 2
    # After the 15-minute windows: the per-number counters (a day) and the counters of
    # the later attempt remain.
    n = services.prune_pin_counters(now=now + dt.timedelta(hours=1, seconds=1))
    assert n == 2 * services.PIN_SLOWDOWN_AFTER
    tag = services._client_tag("7.7.7.7")
    assert sorted(PinCounter.objects.values_list("key", flat=True)) == [
        f"client:{tag}", "number:san-ysidro:1", "number:san-ysidro:2",
        f"pair:san-ysidro:2:{tag}"]
    assert services.prune_pin_counters(now=now + dt.timedelta(days=2)) == 4
    # `garita worker` prunes once a minute.
    PinCounter.objects.create(key="number:san-ysidro:9", failures=3,
                              window_ends_at=timezone.now() - dt.timedelta(seconds=1))
    assert worker.prune_pin_counters() == 1 and not PinCounter.objects.exists()


@pytest.mark.django_db
def test_a_pin_check_refuses_to_run_inside_a_transaction(register):
    """Inside the caller's transaction a refusal would roll the count back with it (the
    old draw_request bug); the check must be called before any transaction opens."""
    reg = register(1)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.check_pin(port=PORT, number=1, pin=reg.pin, client="10.0.0.7")


# --- real threads: PostgreSQL -------------------------------------------------------------


_threads_or_skip = concurrency.threads_or_skip
_in_threads = concurrency.in_threads



@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_pins_from_one_client_get_no_more_guesses_than_the_limit(
        register, monkeypatch):
    _threads_or_skip()
    register(1)
    # A slow comparison widens the gap between the limit check and the count, as a busy
    # server would (not a timing assertion: nothing below depends on how long it took).
    compared = concurrency.Comparisons(monkeypatch, services, during=lambda: time.sleep(0.05))
    outcomes = _in_threads([lambda: _attempt(1, "6.6.6.6") for _ in range(12)])
    assert compared.n == services.PIN_MAX_FAILURES
    assert outcomes.count("waitlist.bad_pin") == services.PIN_MAX_FAILURES
    assert outcomes.count("waitlist.pin_throttled") == 12 - services.PIN_MAX_FAILURES
    assert _actions().count("waitlist.pin_throttled") == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_failures_are_all_counted(register):
    """Failures at the same moment are each counted once: the client's count reaches its
    limit exactly, and the number's counts seen by the failures are 1, 2, ... n."""
    _threads_or_skip()
    register(1)
    limit = services.PIN_CLIENT_MAX_FAILURES
    outcomes = _in_threads([lambda n=n: _attempt(100 + n, "6.6.6.6") for n in range(limit)])
    assert outcomes == ["waitlist.bad_pin"] * limit
    throttled = AuditEvent.objects.filter(action="waitlist.pin_throttled")
    assert [e.new["per_client"] for e in throttled] == [limit]
    assert _attempt(1, "6.6.6.6") == "waitlist.pin_throttled"

    after = services.PIN_SLOWDOWN_AFTER
    outcomes = _in_threads([lambda i=i: _attempt(1, f"7.7.{i}.1") for i in range(after)])
    assert outcomes == ["waitlist.bad_pin"] * after
    seen = sorted(e.new["failures_on_number"] for e in
                  AuditEvent.objects.filter(action="waitlist.pin_failed", object_id=f"{PORT}:1"))
    assert seen == list(range(1, after + 1))
    assert _actions().count("waitlist.pin_slowdown") == 1
    assert _attempt(1, "10.0.0.7") == "waitlist.pin_slowdown"
