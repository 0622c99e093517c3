"""Statistics rules as pure functions: measures of a case population, rates, and disclosure
control (small-cell, differencing and complementary suppression, rounding to base 5).

Invariants: no published count is between 1 and threshold-1; no published count differs from
the same measure of an ancestor population (the same conditions minus some) by 1..threshold-1;
no line that sums to a published total has exactly one hidden entry; published counts >= the
threshold are multiples of ROUND_BASE, and rates and averages come only from published counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

THRESHOLD = 10
ROUND_BASE = 5
MAX_FILTERS = 3

OUTCOMES = (
    "relief_granted", "removal_in_person", "removal_in_absentia", "terminated", "off_mpp",
    "pending",
)
COMPLETED = ("relief_granted", "removal_in_person", "removal_in_absentia", "terminated")

# Count measures of a population, each a number of people.
COUNTS = (
    "cases", *OUTCOMES, "completed", "represented", "not_represented", "heard", "not_heard",
    "missed", "not_missed",
)
# Lines: a total and the parts that add up to it (the table publishes all of them).
LINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cases", ("completed", "off_mpp", "pending")),
    ("completed", COMPLETED),
    ("cases", ("represented", "not_represented")),
    ("cases", ("heard", "not_heard")),
    ("heard", ("missed", "not_missed")),
)
# Rates: numerator over denominator, each a published count.
RATES = {
    "grant_rate": ("relief_granted", "completed"),
    "absentia_rate": ("removal_in_absentia", "completed"),
    "representation_rate": ("represented", "cases"),
    "missed_rate": ("missed", "heard"),
}


@dataclass(frozen=True)
class Group:
    """Raw sums for one slice of the cube (one outcome x representation combination)."""

    outcome: str
    represented: bool
    cases: int
    heard: int = 0
    missed: int = 0
    nta_known: int = 0
    sum_nta_day: int = 0
    sum_decided_day: int = 0


@dataclass
class Measures:
    counts: dict[str, int]
    pending_nta_known: int = 0
    pending_sum_nta_day: int = 0
    completed_nta_known: int = 0
    completed_sum_days: int = 0

    def __add__(self, other: Measures) -> Measures:
        return Measures(
            {k: self.counts[k] + other.counts[k] for k in COUNTS},
            self.pending_nta_known + other.pending_nta_known,
            self.pending_sum_nta_day + other.pending_sum_nta_day,
            self.completed_nta_known + other.completed_nta_known,
            self.completed_sum_days + other.completed_sum_days,
        )


def empty_measures() -> Measures:
    return Measures({k: 0 for k in COUNTS})


def measures_of(groups: Iterable[Group]) -> Measures:
    """The count measures of a population from its (outcome, representation) groups."""
    m = empty_measures()
    c = m.counts
    for g in groups:
        if g.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {g.outcome!r}")
        c["cases"] += g.cases
        c[g.outcome] += g.cases
        c["represented" if g.represented else "not_represented"] += g.cases
        c["heard"] += g.heard
        c["missed"] += g.missed
        if g.outcome == "pending":
            m.pending_nta_known += g.nta_known
            m.pending_sum_nta_day += g.sum_nta_day
        elif g.outcome in COMPLETED:
            m.completed_nta_known += g.nta_known
            m.completed_sum_days += g.sum_decided_day - g.sum_nta_day
    c["completed"] = sum(c[o] for o in COMPLETED)
    c["not_heard"] = c["cases"] - c["heard"]
    c["not_missed"] = c["heard"] - c["missed"]
    return m


def round_count(n: int, base: int = ROUND_BASE) -> int:
    """Nearest multiple of `base` (halves up); only applied to counts >= the threshold."""
    return int((n + base // 2) // base * base) if base > 1 else n


@dataclass
class Row:
    key: Any  # the dimension value; None for "unknown"; ALL for the total row
    raw: Measures
    hidden: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)

    def count(self, name: str) -> int | None:
        """The published count, or None when suppressed."""
        if name in self.hidden:
            return None
        n = self.raw.counts[name]
        return n if n == 0 else round_count(n)

    def rate(self, name: str) -> float | None:
        num, den = RATES[name]
        a, b = self.count(num), self.count(den)
        if a is None or b is None or b == 0:
            return None
        return round(100.0 * a / b, 1)

    def avg_days_waiting(self, today_day: int) -> int | None:
        if self.count("pending") is None or self.raw.pending_nta_known < THRESHOLD:
            return None
        return round(today_day - self.raw.pending_sum_nta_day / self.raw.pending_nta_known)

    def avg_days_to_decision(self) -> int | None:
        if self.count("completed") is None or self.raw.completed_nta_known < THRESHOLD:
            return None
        return round(self.raw.completed_sum_days / self.raw.completed_nta_known)


ALL = "__all__"


@dataclass
class Table:
    rows: list[Row]
    total: Row
    suppressed_query: bool = False

    def all_rows(self) -> list[Row]:
        return [*self.rows, self.total]


def _hide(row: Row, name: str, reason: str) -> bool:
    if name in row.hidden:
        return False
    row.hidden.add(name)
    row.reasons[name] = reason
    return True


def _pick_complement(row: Row, candidates: Sequence[str]) -> str | None:
    """The smallest non-zero visible candidate, else any visible one (a hidden 0 is still
    a hidden value to the reader)."""
    visible = [c for c in candidates if c not in row.hidden]
    if not visible:
        return None
    nonzero = [c for c in visible if row.raw.counts[c] > 0]
    pool = nonzero or visible
    return min(pool, key=lambda c: (row.raw.counts[c], c))


def _complementary_pass(rows: list[Row], total: Row) -> bool:
    """One sweep over every line; True if anything new was hidden."""
    changed = False
    for row in [*rows, total]:
        for tot, parts in LINES:
            hidden = [p for p in parts if p in row.hidden] + ([tot] if tot in row.hidden else [])
            if len(hidden) != 1:
                continue
            pick = _pick_complement(row, [p for p in parts if p not in row.hidden])
            if pick is not None:
                changed |= _hide(row, pick, "complementary")
            else:
                changed |= _hide(row, tot, "complementary")
    # Across rows: the total row's count is the sum of the rows' counts.
    for name in COUNTS:
        entries: list[Row] = [r for r in rows if name in r.hidden]
        n_hidden = len(entries) + (1 if name in total.hidden else 0)
        if n_hidden != 1:
            continue
        visible = [r for r in rows if name not in r.hidden]
        nonzero = [r for r in visible if r.raw.counts[name] > 0]
        pool = nonzero or visible
        if pool:
            target = min(pool, key=lambda r: (r.raw.counts[name], str(r.key)))
            changed |= _hide(target, name, "complementary")
        else:
            changed |= _hide(total, name, "complementary")
    return changed


def build_table(
    cube: Mapping[tuple[Any, tuple[bool, ...]], Measures],
    n_filters: int,
    *,
    threshold: int = THRESHOLD,
) -> Table:
    """A protected table from a cube of measures keyed by (row value, filter matches).

    `cube[(value, flags)]` holds the measures of the cases whose row dimension is `value`
    and which match filter i exactly when flags[i] is True, over the WHOLE population (the
    query's ancestors are needed to stop differencing). The published rows are the cases
    matching every filter.
    """
    if n_filters > MAX_FILTERS:
        raise ValueError("too many filters")
    subsets = list(itertools.product((False, True), repeat=n_filters))
    full = tuple(True for _ in range(n_filters))
    keys = sorted({k for k, _ in cube}, key=lambda v: (v is None, str(v)))

    by_value: dict[Any, list[tuple[tuple[bool, ...], Measures]]] = {}
    for (v, flags), m in cube.items():
        by_value.setdefault(v, []).append((flags, m))
    memo: dict[tuple[Any, tuple[bool, ...]], Measures] = {}

    def population(value: Any, kept: tuple[bool, ...]) -> Measures:
        """Cases with row = value (or any when value is ALL) matching the kept filters."""
        key = (value, kept)
        if key in memo:
            return memo[key]
        out = empty_measures()
        if value is ALL:
            for v in by_value:
                out = out + population(v, kept)
        else:
            for flags, m in by_value.get(value, []):
                if all(f for f, keep in zip(flags, kept, strict=True) if keep):
                    out = out + m
        memo[key] = out
        return out

    rows = [Row(key=v, raw=population(v, full)) for v in keys]
    total = Row(key=ALL, raw=population(ALL, full))
    rows = [r for r in rows if r.raw.counts["cases"] > 0]

    for row in [*rows, total]:
        ancestors: list[Measures] = []
        for kept in subsets:
            if row.key is not ALL:
                if kept != full:
                    ancestors.append(population(row.key, kept))
                ancestors.append(population(ALL, kept))
            elif kept != full:
                ancestors.append(population(ALL, kept))
        for name in COUNTS:
            n = row.raw.counts[name]
            if 0 < n < threshold:
                _hide(row, name, "small")
                continue
            if n == 0:
                # A zero is always shown: an ancestor 1..9 away is itself hidden everywhere.
                continue
            for anc in ancestors:
                if 0 < anc.counts[name] - n < threshold:
                    _hide(row, name, "differencing")
                    break

    while _complementary_pass(rows, total):
        pass
    suppressed = "cases" in total.hidden
    return Table(rows=rows, total=total, suppressed_query=suppressed)


def wait_days_from_history(persons_waiting: int, processed_per_day: float) -> int | None:
    """Little's law: how long the people now waiting take to be processed at today's pace."""
    if processed_per_day <= 0:
        return None
    return round(persons_waiting / processed_per_day)


def protect_count(n: int, threshold: int = THRESHOLD) -> int | None:
    """A single count on its own (no line to balance): hidden below the threshold, rounded."""
    if 0 < n < threshold:
        return None
    return n if n == 0 else round_count(n)
