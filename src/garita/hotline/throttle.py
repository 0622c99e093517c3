"""Look-up throttling in the database: every attempt is counted before its PIN is compared.

One `LookupThrottle` row per key (caller number, client IP, A-number; HMAC digests). An
attempt is *registered* on all its keys in one statement, an upsert committed before the
PIN is compared: on each key the count goes up by one (a new key's row is created at one)
and the attempt that reaches the limit locks the key; a key already locked is left as it
is and returns no row. The attempt is let through only if every key counted it, so
attempts processed together are counted one after the other (row locks on PostgreSQL, the
write lock on SQLite), each is decided on the count its own increment returned, and no key
ever gets more PIN comparisons than the limit, however many arrive at once.

A registration is given back (`give_back`) when its PIN is right, and by an attempt that
one key refused, on the keys that counted it: minus this attempt (the A-number after a
success: minus everything counted on it up to and including this attempt, i.e. it is
cleared), never below zero, only in the window it was counted in, and the lock-out this
attempt started, if any, is lifted with it. So a success, or a refusal, counts nothing.

The window and lock-out rules are `domain.after_failure`'s; the upsert computes the same in
SQL (its parameters come from the policy), and tests/integration/hotline/
test_hotline_throttle_sql.py checks that the two agree. Rows that count nothing any more
are deleted by `prune` (run by `garita worker` once a minute).

Every statement here runs on the driver's cursor (garita.core.sql): this is the hotline's
hot path. On PostgreSQL the registration is folded into the look-up's read and the
give-back into its audit insert (data-modifying WITH), so a look-up is still two round trips.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q

from garita.hotline import domain
from garita.hotline.domain import ThrottlePolicy, ThrottleState
from garita.hotline.models import LookupThrottle, ThrottleScope

# Rows are locked in this order by every statement that locks more than one (the upsert
# in the order of its VALUES, the give-back by an ORDER BY), so two never deadlock.
SCOPE_ORDER = tuple(sorted(s.value for s in ThrottleScope))

Key = tuple[str, str]  # (scope, key_digest)

# What the upsert returns for each key that counted the attempt. SQLite's times come back
# as the stored text (no conversion), to be handed back as they are by `give_back`.
RETURNED = ("id", "scope", "failures", "window_started_at", "locked_until")
_RETURNING = {
    "postgresql": ", ".join(RETURNED),
    "sqlite": ("id, scope, failures, CAST(window_started_at AS TEXT), "
               "CAST(locked_until AS TEXT)"),
}


class Counted(NamedTuple):
    """This attempt's place on one key, as its own increment returned it."""

    scope: str
    row_id: int
    failures: int  # including this attempt
    window: Any  # the start of the window it was counted in, as the database returned it
    lock: Any  # the end of the lock-out this attempt started (None: it started none), ditto

    @property
    def locked_until(self) -> dt.datetime | None:
        from garita.hotline.selectors import _aware

        return _aware(self.lock)


class Registration(NamedTuple):
    """One attempt, registered on its keys."""

    keys: int  # how many keys it was registered on
    counted: tuple[Counted, ...]  # the keys that counted it (a locked key did not)

    @property
    def admitted(self) -> bool:
        return len(self.counted) == self.keys

    @property
    def lockouts(self) -> tuple[Counted, ...]:
        return tuple(c for c in self.counted if c.lock is not None)


NOTHING = Registration(0, ())


def ordered(keys: Sequence[Key]) -> list[Key]:
    return sorted(keys, key=lambda k: SCOPE_ORDER.index(k[0]))


def _db() -> Any:
    return connections[DEFAULT_DB_ALIAS]


def _table() -> str:
    return LookupThrottle._meta.db_table


# ---------------------------------------------------------------- registering


@functools.cache
def upsert_sql(vendor: str, n_keys: int) -> str:
    """Count one attempt on `n_keys` keys (in SCOPE_ORDER): domain.after_failure in SQL.

    "fresh" is after_failure's new window (none yet, over, or a lock-out that has ended);
    the WHERE leaves a locked row unchanged and unreturned. `excluded` is the row the
    INSERT proposed: its updated_at is now.
    """
    fresh = ("(t.window_started_at IS NULL OR t.window_started_at < %s "
             "OR t.locked_until <= excluded.updated_at)")
    count = f"CASE WHEN {fresh} THEN 1 ELSE t.failures + 1 END"
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * n_keys)
    return (
        f"INSERT INTO {_table()} AS t (scope, key_digest, failures, window_started_at, "
        f"locked_until, updated_at) VALUES {values} "
        "ON CONFLICT (scope, key_digest) DO UPDATE SET "
        f"failures = {count}, "
        f"window_started_at = CASE WHEN {fresh} THEN excluded.updated_at "
        "ELSE t.window_started_at END, "
        f"locked_until = CASE WHEN {count} >= %s THEN %s END, "
        "updated_at = excluded.updated_at "
        "WHERE t.locked_until IS NULL OR t.locked_until <= excluded.updated_at "
        f"RETURNING {_RETURNING[vendor]}"
    )


def _adapter(db: Any) -> Any:
    """Django's adapt_datetimefield_value for the aware datetimes here, without its checks
    on every call (three per look-up): SQLite stores the naive text in the connection's
    time zone (UTC unless DATABASES sets one); PostgreSQL takes the datetime itself."""
    if db.vendor != "sqlite":
        return db.ops.adapt_datetimefield_value
    tz = db.timezone
    return lambda value: str(value.astimezone(tz).replace(tzinfo=None))


def upsert_params(keys: Sequence[Key], *, now: dt.datetime, policy: ThrottlePolicy
                  ) -> list[Any]:
    """The parameters of upsert_sql for `keys` (already in SCOPE_ORDER)."""
    adapt = _adapter(_db())
    # A new key's row: after_failure from nothing (one failure, in a window from now, and
    # locked at once only if the limit is one).
    first, _ = domain.after_failure(ThrottleState(0, None, None), now, policy)
    at, lock = adapt(now), adapt(now + policy.lockout)
    row = [first.failures, at, lock if first.locked_until is not None else None, at]
    params: list[Any] = []
    for scope, digest in keys:
        params += [scope, digest, *row]
    floor = adapt(now - policy.window)  # a window that started before this is over
    params += [floor, floor, floor, policy.max_failures, lock]
    return params


def registration(n_keys: int, rows: Sequence[Sequence[Any]]) -> Registration:
    """The Registration from the upsert's rows (id, scope, failures, window, lock)."""
    return Registration(n_keys, tuple(
        Counted(r[1], r[0], r[2], r[3], r[4]) for r in rows if r[0] is not None))


def register(keys: Sequence[Key], *, now: dt.datetime, policy: ThrottlePolicy
             ) -> Registration:
    """Count one attempt on every key, committed (one statement, in autocommit mode)."""
    from garita.core import sql as raw_sql

    if not keys:
        return NOTHING
    keys = ordered(keys)
    rows = raw_sql.fetchall(upsert_sql(_db().vendor, len(keys)),
                            upsert_params(keys, now=now, policy=policy))
    return registration(len(keys), rows)


# ---------------------------------------------------------------- giving back


@functools.cache
def _give_back_sql(vendor: str, n: int) -> tuple[str, str]:
    """(WITH clauses, UPDATE) giving back `n` counted keys; on PostgreSQL the rows are
    locked in SCOPE_ORDER first, as the upsert locks them."""
    t = _table()
    change = ("SET failures = {greatest}(t.failures - r.minus, 0), "
              "window_started_at = CASE WHEN t.failures <= r.minus THEN NULL "
              "ELSE t.window_started_at END, "
              "locked_until = CASE WHEN t.locked_until = r.mine THEN NULL "
              "ELSE t.locked_until END")
    if vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::integer, %s::timestamptz, %s::timestamptz)"] * n)
        with_ = (f"WITH r (id, minus, win, mine) AS (VALUES {values}), "
                 f"l AS MATERIALIZED (SELECT id FROM {t} WHERE id IN (SELECT id FROM r) "
                 "ORDER BY scope FOR UPDATE)")
        update = (f"UPDATE {t} AS t {change.format(greatest='GREATEST')} FROM r "
                  "WHERE t.id = r.id AND t.id IN (SELECT id FROM l) "
                  "AND t.window_started_at = r.win")
        return with_, update
    # SQLite: one writer at a time, no row locks to order; VALUES columns are column1...
    values = ", ".join(["(%s, %s, %s, %s)"] * n)
    update = (f"UPDATE {t} AS t {change.format(greatest='max')} FROM (SELECT column1 AS id, "
              f"column2 AS minus, column3 AS win, column4 AS mine FROM (VALUES {values})) AS r "
              "WHERE t.id = r.id AND t.window_started_at = r.win")
    return "", update


def _give_back_params(reg: Registration, *, success: bool) -> list[Any]:
    params: list[Any] = []
    for c in reg.counted:  # in SCOPE_ORDER, as registered
        # A success clears the A-number (the holder mistyped): everything counted on it up
        # to this attempt. The caller's and the IP's lose only this attempt, so one valid
        # pair cannot reset a guessing run.
        minus = c.failures if success and c.scope == "anumber" else 1
        params += [c.row_id, minus, c.window, c.lock]  # the times as the database gave them
    return params


def give_back(reg: Registration, *, success: bool,
              then: tuple[str, Sequence[Any]] | None = None) -> None:
    """Give the registration back (see the module's docstring), then run `then` (one more
    statement, e.g. an audit INSERT), both committed together or neither: on PostgreSQL in
    one statement, on SQLite in one transaction, so a failed give-back leaves no event of
    a look-up that was never answered."""
    from garita.core import sql as raw_sql

    if not reg.counted:
        if then is not None:
            raw_sql.execute(*then)
        return
    vendor = _db().vendor
    with_, update = _give_back_sql(vendor, len(reg.counted))
    params = _give_back_params(reg, success=success)
    if vendor == "postgresql":
        if then is None:
            raw_sql.execute(f"{with_} {update}", params)
        else:
            sql, then_params = then
            raw_sql.execute(f"{with_}, back AS ({update} RETURNING 1) {sql}",
                            [*params, *then_params])
        return
    if then is None:
        raw_sql.execute(update, params)
        return
    with transaction.atomic():
        raw_sql.execute(*then)
        raw_sql.execute(update, params)


# ---------------------------------------------------------------- clean-up


def prune(*, now: dt.datetime, policy: ThrottlePolicy, batch: int = 1000) -> int:
    """Delete the rows that count nothing any more; returns how many.

    A row goes when it is not locked and a registration would start afresh on it anyway:
    at zero (every attempt given back), with its window over, or with its lock-out over.
    A registration in flight keeps its row (its count is at least one, in a window that
    started no earlier than it did). Rows in use at that moment are skipped (SKIP LOCKED),
    so this never waits for, or deadlocks with, a look-up; a look-up that finds its row
    gone creates it again.
    """
    done = (Q(locked_until__lte=now)
            | Q(locked_until__isnull=True) & (Q(failures=0) | Q(window_started_at__isnull=True)
                                              | Q(window_started_at__lt=now - policy.window)))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(LookupThrottle.objects.select_for_update(skip_locked=True)
                       .filter(done).order_by("pk").values_list("pk", flat=True)[:batch])
            if ids:
                LookupThrottle.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
