"""Allocation policies, the draw, estimates and log entries: pure rules, no database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garita.waitlist import domain
from garita.waitlist.domain import Policy, QueuedGroup

sizes = st.lists(st.integers(min_value=1, max_value=30), min_size=0, max_size=60)
capacities = st.integers(min_value=0, max_value=200)


def _queue(ss: list[int]) -> list[QueuedGroup]:
    return [QueuedGroup(i + 1, s, hashlib.sha256(str(i).encode()).hexdigest())
            for i, s in enumerate(ss)]


def test_a_group_that_does_not_fit_waits_at_the_head_and_nobody_jumps_ahead():
    q = _queue([3, 5, 1, 1])
    alloc = domain.allocate_fcfs(q, 6)
    assert alloc.called == (1,) and alloc.persons == 3


def test_fill_policy_lets_smaller_groups_behind_use_the_places_left():
    q = _queue([3, 5, 1, 1])
    assert domain.allocate_fill(q, 6).called == (1, 3, 4)


def test_zero_capacity_calls_nobody():
    assert domain.allocate_fcfs(_queue([1, 2]), 0).called == ()


@settings(max_examples=300)
@given(sizes, capacities)
def test_fcfs_never_exceeds_capacity_and_calls_a_prefix(ss, cap):
    q = _queue(ss)
    alloc = domain.allocate_fcfs(q, cap)
    assert alloc.persons <= cap
    assert alloc.called == tuple(g.number for g in q[: len(alloc.called)])
    assert alloc.persons == sum(g.size for g in q[: len(alloc.called)])
    # It stops only when the next group does not fit.
    if len(alloc.called) < len(q):
        assert alloc.persons + q[len(alloc.called)].size > cap


@settings(max_examples=300)
@given(sizes, capacities)
def test_fill_never_exceeds_capacity_keeps_order_and_skips_only_groups_that_do_not_fit(ss, cap):
    q = _queue(ss)
    alloc = domain.allocate_fill(q, cap)
    assert alloc.persons <= cap
    assert list(alloc.called) == sorted(alloc.called)
    by = {g.number: g for g in q}
    assert alloc.persons == sum(by[n].size for n in alloc.called)  # whole groups only
    used = 0
    for g in q:
        if g.number in alloc.called:
            used += g.size
        else:
            assert used + g.size > cap or used == cap


@settings(max_examples=200)
@given(sizes, capacities, st.floats(min_value=0, max_value=1), st.binary(min_size=32,
                                                                          max_size=32))
def test_draw_never_exceeds_capacity_and_is_reproducible_from_the_seed(ss, cap, share, seed):
    q = _queue(ss)
    a = domain.allocate_draw(q, cap, share, seed)
    b = domain.allocate_draw(list(reversed(q))[::-1], cap, share, seed)
    assert a == b
    assert a.persons <= cap
    assert len(set(a.called)) == len(a.called)
    by = {g.number: g for g in q}
    assert a.persons == sum(by[n].size for n in a.called)
    # The share for the longest registered is a strict prefix of the registration order.
    first = domain.allocate_fcfs(q, int(cap * share))
    assert a.called[: len(first.called)] == first.called


def test_anyone_can_recompute_the_draw_with_hmac_sha256():
    seed = bytes(range(32))
    q = _queue([2, 2, 2, 2, 2, 2])
    alloc = domain.allocate_draw(q, 6, 0.0, seed)
    tickets = sorted(q, key=lambda g: hmac.new(seed, g.commitment.encode(),
                                               hashlib.sha256).hexdigest())
    assert alloc.called == tuple(g.number for g in tickets[:3])
    assert domain.seed_commitment(seed) == hashlib.sha256(seed).hexdigest()


def test_a_different_seed_gives_a_different_draw():
    q = _queue([1] * 40)
    a = domain.allocate_draw(q, 10, 0.0, b"a" * 32)
    b = domain.allocate_draw(q, 10, 0.0, b"b" * 32)
    assert a.called != b.called


def test_policy_dispatch_uses_fcfs_by_default():
    assert domain.allocate(Policy.FCFS, _queue([3, 5, 1]), 6).called == (1,)
    assert domain.allocate(Policy.FILL, _queue([3, 5, 1]), 6).called == (1, 3)


@pytest.mark.parametrize(("size", "ok"), [(0, False), (1, True), (30, True), (31, False)])
def test_group_sizes_are_between_one_and_thirty(size, ok):
    assert domain.check_group_size(size) is ok


def test_a_no_show_goes_back_once_then_is_removed():
    assert domain.after_no_show(0) == "requeue"
    assert domain.after_no_show(1) == "remove"


def test_estimate_uses_the_best_and_a_slow_recent_pace():
    est = domain.estimate_days(100, [50, 25, 0, 40])
    assert est.earliest_days == 2
    # Slow pace: the lower of the slowest day (25) and half the mean (38.3 / 2 = 19.2).
    assert est.latest_days == 6
    assert domain.estimate_days(0, [10]).earliest_days == 0
    assert domain.estimate_days(5, []).earliest_days is None


def test_log_entries_carry_no_names_and_are_canonical():
    at = dt.datetime(2019, 5, 1, 15, 0, tzinfo=dt.UTC)
    data = domain.entry_bytes(port="san-ysidro", index=3, event="registered", number=12,
                              size=4, at=at, commitment="ab" * 32)
    assert data == (b'{"at":"2019-05-01T15:00:00.000000Z","commitment":"' + b"ab" * 32 +
                    b'","detail":"","event":"registered","index":3,"number":12,'
                    b'"port":"san-ysidro","size":4}')


def test_a_person_can_prove_an_entry_is_theirs_with_salt_and_names():
    salt = bytes(16)
    ident = domain.identity_text([("María José", "Núñez López", "1990-05-17")])
    c = domain.identity_commitment(salt, ident)
    assert c == hashlib.sha256(salt + "maría josé|núñez lópez|1990-05-17".encode()).hexdigest()
    assert c != domain.identity_commitment(b"\x01" * 16, ident)


@settings(max_examples=200)
@given(st.text(max_size=40), st.sampled_from(list(domain.Event)),
       st.one_of(st.none(), st.integers(0, 10**9)),
       st.datetimes(min_value=dt.datetime(1970, 1, 2),
                    timezones=st.sampled_from([dt.UTC, ZoneInfo("America/Tijuana")])),
       st.text(alphabet="0123456789abcdef", max_size=64))
def test_fast_entry_encoding_equals_the_reference_json(detail, event, number, at, commitment):
    kw = {"port": "san-ysidro", "index": 5, "event": str(event), "number": number,
          "size": number, "at": at, "commitment": commitment, "detail": detail}
    assert domain.entry_bytes(**kw) == domain.entry_json(**kw)


@settings(max_examples=200)
@given(sizes, capacities, st.binary(min_size=32, max_size=32))
def test_families_are_never_split_under_any_policy(ss, cap, seed):
    q = _queue(ss)
    by = {g.number: g.size for g in q}
    for alloc in (domain.allocate_fcfs(q, cap), domain.allocate_fill(q, cap),
                  domain.allocate_draw(q, cap, 0.5, seed)):
        # A call is a set of whole groups: persons called is exactly the sum of their sizes,
        # each group appears once, and the total never passes the capacity.
        assert len(set(alloc.called)) == len(alloc.called)
        assert alloc.persons == sum(by[n] for n in alloc.called) <= cap


@settings(max_examples=200)
@given(st.lists(st.tuples(
    st.integers(0, 10**9), st.text(max_size=16), st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 30)),
    st.datetimes(min_value=dt.datetime(1970, 1, 2),
                 timezones=st.sampled_from([dt.UTC, ZoneInfo("America/Tijuana")])),
    st.one_of(st.text(alphabet="0123456789abcdef", max_size=64), st.text(max_size=20)),
    st.text(max_size=40)), max_size=5), st.text(min_size=1, max_size=20))
def test_bulk_entry_encoding_equals_the_reference_json(rows, port):
    got = domain.entries_bytes(port, [(i, e, n, s, domain.canonical_at(at), c, d)
                                      for i, e, n, s, at, c, d in rows])
    assert got == [domain.entry_json(port=port, index=i, event=e, number=n, size=s, at=at,
                                     commitment=c, detail=d) for i, e, n, s, at, c, d in rows]
