"""Waitlist rules: who is called, the CBP One-style draw, estimates, log entry encoding.

Pure. Invariants: a call never exceeds the capacity, never splits a group, and (strict
first-come-first-served) never calls a group while an earlier one waits; the draw is a
deterministic function of the revealed seed and the published commitments.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_GROUP = 1
MAX_GROUP = 30
DEFAULT_GRACE_MINUTES = 20
# A no-show goes back to the head of the next day's call this many times, then is removed.
NO_SHOW_REQUEUES = 1


class Policy(enum.StrEnum):
    FCFS = "fcfs"  # strict first come, first served
    FILL = "fill"  # fill the remaining places with smaller groups further down
    DRAW = "draw"  # CBP One style: share for the longest registered, draw for the rest


class Event(enum.StrEnum):
    REGISTERED = "registered"
    CAPACITY_SET = "capacity_set"
    CALLED = "called"
    PRESENT = "present"
    NO_SHOW = "no_show"
    REQUEUED = "requeued"
    REMOVED = "removed"
    REQUESTED = "requested"
    DRAW_COMMITTED = "draw_committed"
    DRAW_REVEALED = "draw_revealed"


@dataclass(frozen=True)
class QueuedGroup:
    """A group waiting, in queue order (head first). `commitment` is public (hex)."""

    number: int
    size: int
    commitment: str = ""


@dataclass(frozen=True)
class Allocation:
    called: tuple[int, ...]
    persons: int
    policy: Policy


def check_group_size(size: int) -> bool:
    return MIN_GROUP <= size <= MAX_GROUP


def allocate_fcfs(queue: Iterable[QueuedGroup], capacity: int) -> Allocation:
    """Call from the head while the next group fits; the first that does not fit stops
    the call (it waits at the head and nobody behind it jumps ahead)."""
    called: list[int] = []
    used = 0
    for g in queue:
        if used + g.size > capacity:
            break
        called.append(g.number)
        used += g.size
    return Allocation(tuple(called), used, Policy.FCFS)


def allocate_fill(queue: Iterable[QueuedGroup], capacity: int) -> Allocation:
    """In order, call every group that still fits, skipping the ones that do not."""
    called: list[int] = []
    used = 0
    for g in queue:
        if used == capacity:
            break
        if used + g.size <= capacity:
            called.append(g.number)
            used += g.size
    return Allocation(tuple(called), used, Policy.FILL)


def seed_commitment(seed: bytes) -> str:
    """What is published before the request window closes: SHA-256(seed), hex."""
    return hashlib.sha256(seed).hexdigest()


def draw_ticket(seed: bytes, commitment: str) -> str:
    """A request's ticket: HMAC-SHA256(key=seed, message=the group's public commitment)."""
    return hmac.new(seed, commitment.encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(seed: bytes, requests: Sequence[QueuedGroup]) -> list[QueuedGroup]:
    """Requests sorted by ticket (ties, impossible in practice, by number)."""
    return sorted(requests, key=lambda g: (draw_ticket(seed, g.commitment), g.number))


def allocate_draw(requests: Sequence[QueuedGroup], capacity: int, longest_share: float,
                  seed: bytes) -> Allocation:
    """CBP One's final design. `requests` is the day's requests in registration order.

    First floor(capacity * share) persons go to the longest registered, strictly in order;
    the rest of the places go to the other requests in draw order, whole groups that fit.
    """
    share = max(0, min(capacity, math.floor(capacity * longest_share)))
    first = allocate_fcfs(requests, share)
    taken = set(first.called)
    used = first.persons
    called = list(first.called)
    rest = [g for g in requests if g.number not in taken]
    for g in draw_order(seed, rest):
        if used == capacity:
            break
        if used + g.size <= capacity:
            called.append(g.number)
            used += g.size
    return Allocation(tuple(called), used, Policy.DRAW)


def allocate(policy: Policy, queue: Iterable[QueuedGroup], capacity: int) -> Allocation:
    if policy == Policy.FILL:
        return allocate_fill(queue, capacity)
    return allocate_fcfs(queue, capacity)


def after_no_show(previous_no_shows: int) -> str:
    """The consequence of a no-show: 'requeue' to the head of the next call, or 'remove'."""
    return "requeue" if previous_no_shows < NO_SHOW_REQUEUES else "remove"


def presence_deadline(called_at: dt.datetime, grace_minutes: int) -> dt.datetime:
    return called_at + dt.timedelta(minutes=grace_minutes)


@dataclass(frozen=True)
class Estimate:
    persons_ahead: int
    earliest_days: int | None
    latest_days: int | None


def estimate_days(persons_ahead: int, recent_capacities: Sequence[int]) -> Estimate:
    """Days until a group is reached at the best and worst recent daily pace.

    `recent_capacities` are persons called per day (days with no call count as 0 and are
    left out of the pace); with no pace at all there is no estimate.
    """
    pace = [c for c in recent_capacities if c > 0]
    if persons_ahead <= 0:
        return Estimate(0, 0, 0)
    if not pace:
        return Estimate(persons_ahead, None, None)
    high, low = max(pace), min(pace)
    avg = sum(pace) / len(pace)
    # Best case: the best recent pace; worst: the slower of the minimum and half the mean.
    worst = max(1.0, min(low, avg / 2))
    return Estimate(persons_ahead, math.ceil(persons_ahead / high),
                    math.ceil(persons_ahead / worst))


def identity_commitment(salt: bytes, identity: str) -> str:
    """SHA-256(salt || identity), hex: published in the log; salt and identity stay private."""
    return hashlib.sha256(salt + identity.encode("utf-8")).hexdigest()


def identity_text(members: Sequence[tuple[str, str, str]]) -> str:
    """A canonical text of a group (given names, surnames, date of birth per person)."""
    return "\n".join("|".join(part.strip().casefold() for part in m) for m in members)


def entry_bytes(*, port: str, index: int, event: str, number: int | None, size: int | None,
                at: dt.datetime | str, commitment: str = "", detail: str = "") -> bytes:
    """The log entry for one event: canonical JSON (sorted keys, no spaces), no names, UTF-8.

    Written out by hand for speed; equal byte for byte to json.dumps(..., sort_keys=True,
    separators=(",", ":"), ensure_ascii=False) of the same dict (a unit test checks it).
    """
    if isinstance(at, str):  # already "YYYY-MM-DDTHH:MM:SS.ffffffZ" (verify's fast path)
        at_text = at
    else:
        if at.utcoffset() != _ZERO:
            at = at.astimezone(dt.UTC)
        # isoformat is C code: "...SS.ffffff+00:00" -> "...SS.ffffffZ"
        at_text = at.isoformat(timespec="microseconds")[:26] + "Z"
    q = _quote
    return (
        f'{{"at":"{at_text}","commitment":{q(commitment)},"detail":{q(detail)},'
        f'"event":{q(event)},"index":{index},'
        f'"number":{"null" if number is None else int(number)},"port":{q(port)},'
        f'"size":{"null" if size is None else int(size)}}}'
    ).encode()


_ZERO = dt.timedelta(0)


def canonical_at(at: dt.datetime) -> str:
    """An entry's time as canonical text: UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"."""
    if at.utcoffset() != _ZERO:
        at = at.astimezone(dt.UTC)
    return at.isoformat(timespec="microseconds")[:26] + "Z"


EntryRow = tuple[int, str, "int | None", "int | None", str, str, str]


def entries_bytes(port: str, rows: Iterable[EntryRow]) -> list[bytes]:
    """entry_bytes for many rows of (index, event, number, size, at_text, commitment,
    detail) with the time already canonical text: the hot loop of append and verify."""
    q = _quote
    qport = q(port)
    out: list[bytes] = []
    append = out.append
    for index, event, number, size, at_text, commitment, detail in rows:
        # Hex commitments (nearly all) need no quoting check beyond isalnum.
        qc = f'"{commitment}"' if commitment.isalnum() and commitment.isascii() else q(commitment)
        append(
            f'{{"at":"{at_text}","commitment":{qc},"detail":{q(detail)},'
            f'"event":{q(event)},"index":{index},'
            f'"number":{"null" if number is None else int(number)},"port":{qport},'
            f'"size":{"null" if size is None else int(size)}}}'.encode())
    return out


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*\Z')


_QUOTED: dict[str, str] = {}


def _quote(text: str) -> str:
    hit = _QUOTED.get(text)
    if hit is not None:
        return hit
    out = f'"{text}"' if _PLAIN.match(text) else json.dumps(text, ensure_ascii=False)
    if len(text) <= 24 and len(_QUOTED) < 4096:  # ports, events, short details repeat
        _QUOTED[text] = out
    return out


def entry_json(*, port: str, index: int, event: str, number: int | None, size: int | None,
               at: dt.datetime, commitment: str = "", detail: str = "") -> bytes:
    """Reference encoding of a log entry (the documented definition of entry_bytes)."""
    body = {"port": port, "index": index, "event": event, "number": number, "size": size,
            "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "commitment": commitment, "detail": detail}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
