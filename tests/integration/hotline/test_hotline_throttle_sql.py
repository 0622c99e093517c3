"""The throttle's SQL against the pure rules: domain.after_failure is the specification.

The registration upsert (garita.hotline.throttle) computes the window and lock-out in SQL,
so every look-up is counted in one statement; these tests check, over generated states and
policies (boundaries included), that it gives exactly what after_failure gives, that a
locked key is left alone, that giving a registration back leaves a key that behaves as
before, and which rows the once-a-minute clean-up deletes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from garita.hotline import domain, services, throttle
from garita.hotline.domain import ThrottlePolicy, ThrottleState
from garita.hotline.models import LookupThrottle
from tests.factories import make_case

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 21, 0, 0, 123456, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
KEY = ("ip", "k" * 64)

policies = st.builds(
    ThrottlePolicy,
    max_failures=st.integers(1, 8),
    window=st.integers(1, 120).map(lambda m: dt.timedelta(minutes=m)),
    lockout=st.integers(1, 60).map(lambda m: dt.timedelta(minutes=m)),
)


@st.composite
def states(draw: st.DrawFn, policy: ThrottlePolicy) -> ThrottleState | None:
    """No row yet, or any row: windows and lock-outs around every boundary."""
    if draw(st.integers(0, 9)) == 0:
        return None
    near = [dt.timedelta(0), US, -US, policy.window, policy.window + US, policy.window - US,
            dt.timedelta(days=3), -dt.timedelta(seconds=5)]
    ago = st.one_of(st.sampled_from(near),
                    st.integers(-10**7, 3 * 10**10).map(lambda u: dt.timedelta(microseconds=u)))
    ahead = st.one_of(st.sampled_from([dt.timedelta(0), US, -US, policy.lockout,
                                       -policy.lockout, -dt.timedelta(days=2)]),
                      st.integers(-10**10, 10**10).map(lambda u: dt.timedelta(microseconds=u)))
    return ThrottleState(
        failures=draw(st.integers(0, 12)),
        window_started_at=draw(st.none() | ago.map(lambda d: NOW - d)),
        locked_until=draw(st.none() | ahead.map(lambda d: NOW + d)),
    )


def _put(state: ThrottleState | None) -> None:
    LookupThrottle.objects.all().delete()
    if state is not None:
        LookupThrottle.objects.create(scope=KEY[0], key_digest=KEY[1], failures=state.failures,
                                      window_started_at=state.window_started_at,
                                      locked_until=state.locked_until)


def _state() -> ThrottleState:
    row = LookupThrottle.objects.get(scope=KEY[0], key_digest=KEY[1])
    return ThrottleState(row.failures, row.window_started_at, row.locked_until)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ThrottlePolicy, ThrottleState | None]:
    policy = draw(policies)
    return policy, draw(states(policy))


P = ThrottlePolicy(5, dt.timedelta(minutes=60), dt.timedelta(minutes=30))
MINUTE = dt.timedelta(minutes=1)
BOUNDARIES = [
    (P, ThrottleState(2, NOW - P.window, None)),  # the window's last moment: counted in it
    (P, ThrottleState(2, NOW - P.window - US, None)),  # just over: a new window
    (P, ThrottleState(4, NOW - MINUTE, None)),  # the limit: locks
    (P, ThrottleState(5, NOW - MINUTE, NOW)),  # the lock-out's end: a new window
    (P, ThrottleState(5, NOW - MINUTE, NOW + US)),  # still locked: refused
    (P, ThrottleState(3, None, None)),  # no window: a new one
    (P, ThrottleState(1, NOW + MINUTE, None)),  # a window from a clock ahead of ours
    (ThrottlePolicy(1, MINUTE, MINUTE), None),  # a limit of one: a new key locks at once
]


def _examples(**more: object):
    def add(test):
        for case in BOUNDARIES:
            test = example(case=case, **more)(test)
        return test
    return add


@hsettings(max_examples=300, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
@_examples()
def test_a_registration_counts_exactly_as_after_failure(case):
    policy, before = case
    _put(before)
    reg = throttle.register([KEY], now=NOW, policy=policy)
    after = _state()
    old = before or ThrottleState(0, None, None)
    if domain.is_locked(old, NOW):  # refused: nothing counted, the lock-out not extended
        assert not reg.admitted and reg.counted == ()
        assert after == old
        return
    expected, locks = domain.after_failure(old, NOW, policy)
    assert after == expected
    assert reg.admitted
    (counted,) = reg.counted
    assert counted.failures == expected.failures
    assert counted.locked_until == (expected.locked_until if locks else None)


@hsettings(max_examples=200, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases(), success=st.booleans(),
       later=st.one_of(st.sampled_from([dt.timedelta(0), P.window, P.window + US]),
                       st.integers(0, 3 * 10**10).map(lambda u: dt.timedelta(microseconds=u))))
@_examples(success=True, later=P.window)
def test_a_registration_given_back_leaves_the_key_as_it_was(case, success, later):
    """After register + give_back, every later failure is counted, and the key is locked,
    exactly as if the attempt had never been made (for the IP: a success is no failure)."""
    policy, before = case
    before = before or ThrottleState(0, None, None)
    # A count at zero has no window (a give-back to zero clears it; rows start at one).
    assume(before.failures > 0 or before.window_started_at is None)
    if domain.is_locked(before, NOW):
        return  # refused: nothing registered, nothing to give back (the test above)
    _put(before)
    throttle.give_back(throttle.register([KEY], now=NOW, policy=policy), success=success)
    after = _state()
    at = NOW + later
    assert domain.is_locked(after, at) == domain.is_locked(before, at)
    assert domain.after_failure(after, at, policy) == domain.after_failure(before, at, policy)


@pytest.mark.parametrize("at", [NOW, NOW.replace(microsecond=0),
                                NOW.astimezone(dt.timezone(dt.timedelta(hours=-7)))])
def test_times_are_sent_as_django_sends_them(at):
    """The upsert's own adapter (fewer checks per call) gives what the ORM stores."""
    from django.db import connection

    assert throttle._adapter(connection)(at) == connection.ops.adapt_datetimefield_value(at)


def test_a_success_clears_the_anumbers_count_up_to_itself():
    policy = services.policy()
    key = ("anumber", "a" * 64)
    for _ in range(3):
        throttle.register([key], now=NOW, policy=policy)
    mine = throttle.register([key], now=NOW, policy=policy)
    later = throttle.register([key], now=NOW, policy=policy)  # counted after it
    throttle.give_back(mine, success=True)
    row = LookupThrottle.objects.get(scope="anumber")
    assert row.failures == 1 and row.window_started_at == NOW  # only the later one left
    throttle.give_back(later, success=True)
    row.refresh_from_db()
    assert (row.failures, row.window_started_at, row.locked_until) == (0, None, None)


def test_a_give_back_in_a_newer_window_changes_nothing():
    policy = ThrottlePolicy(5, dt.timedelta(minutes=60), dt.timedelta(minutes=30))
    old = throttle.register([KEY], now=NOW, policy=policy)
    later = NOW + dt.timedelta(minutes=61)
    throttle.register([KEY], now=later, policy=policy)  # the window is over: a new one
    throttle.give_back(old, success=False)
    assert _state() == ThrottleState(1, later, None)


# --- clean-up --------------------------------------------------------------------------------


def _row(scope: str, value: str, failures: int, window: dt.timedelta | None,
         lock: dt.timedelta | None) -> None:
    LookupThrottle.objects.create(
        scope=scope, key_digest=services._key(scope, value), failures=failures,
        window_started_at=None if window is None else timezone.now() - window,
        locked_until=None if lock is None else timezone.now() + lock)


def test_rows_that_count_nothing_are_deleted_and_the_others_kept(settings):
    from garita.notifications.management.commands import worker

    settings.GARITA_HOTLINE_FAILURE_WINDOW_MINUTES = 60
    case = make_case()
    # A success leaves its keys at zero: nothing to keep.
    assert services.lookup(a_number=case.a_number, pin="123456", channel="web",
                           ip="198.51.100.1").outcome == services.Outcome.FOUND
    minute = dt.timedelta(minutes=1)
    _row("caller", "+5266400001", 2, 10 * minute, None)  # counting: kept
    _row("caller", "+5266400002", 2, 61 * minute, None)  # its window is over
    _row("caller", "+5266400003", 5, 10 * minute, 20 * minute)  # locked: kept
    _row("caller", "+5266400004", 5, 50 * minute, -minute)  # its lock-out is over
    _row("ip", "198.51.100.9", 5, 90 * minute, 5 * minute)  # locked, window over: kept
    assert LookupThrottle.objects.count() == 7
    assert worker.prune_lookup_throttles() == 4  # `garita worker`, once a minute
    kept = {(r.scope, r.key_digest) for r in LookupThrottle.objects.all()}
    assert kept == {("caller", services._key("caller", "+5266400001")),
                    ("caller", services._key("caller", "+5266400003")),
                    ("ip", services._key("ip", "198.51.100.9"))}
    later = timezone.now() + dt.timedelta(hours=2)
    assert services.prune_throttles(now=later) == 3


def test_a_success_whose_give_back_fails_leaves_no_audit_event_and_no_answer(monkeypatch):
    """The give-back and the success's audit event are committed together or not at all
    (one statement on PostgreSQL, one transaction on SQLite): a look-up that fails there
    answers nothing and leaves no event of a look-up that was never answered; its
    registration stays counted, as for any attempt that was not given back."""
    from django.db import DatabaseError

    from garita.audit.models import UnsealedEvent
    from garita.core import sql as raw_sql

    case = make_case()
    real = raw_sql.execute

    def failing_give_back(sql: str, params: object) -> None:
        # SQLite: the UPDATE after the INSERT; PostgreSQL: one WITH statement holding both.
        if sql.lstrip().startswith(("UPDATE", "WITH")) and LookupThrottle._meta.db_table in sql:
            raise DatabaseError("injected: the give-back failed")
        real(sql, params)

    monkeypatch.setattr(raw_sql, "execute", failing_give_back)
    with pytest.raises(DatabaseError):
        services.lookup(a_number=case.a_number, pin="123456", channel="web", ip="198.51.100.5")
    assert not UnsealedEvent.objects.filter(action="hotline.lookup").exists()
    assert LookupThrottle.objects.get(scope="ip").failures == 1  # registered, not given back
    monkeypatch.setattr(raw_sql, "execute", real)
    found = services.lookup(a_number=case.a_number, pin="123456", channel="web",
                            ip="198.51.100.5")
    assert found.outcome == services.Outcome.FOUND
    assert UnsealedEvent.objects.filter(action="hotline.lookup").count() == 1
    assert LookupThrottle.objects.get(scope="ip").failures == 1  # this one given back
