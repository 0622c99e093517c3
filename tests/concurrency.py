"""Running PIN checks "together" in tests: counted comparisons, forced interleavings, threads.

Shared by the hotline's and the waitlist's race tests
(tests/integration/hotline/test_hotline_lookup_race.py,
tests/integration/waitlist/test_waitlist_pin_race.py). Two ways to run attempts together:
- `interleaved` (every database): each attempt starts while every earlier one is inside its
  PIN comparison, i.e. after its limit check and before its failure was counted;
- `in_threads` (PostgreSQL or file SQLite; `threads_or_skip` skips in-memory SQLite): real
  threads, one database connection each, released together by a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import pytest
from django.db import connection, connections

T = TypeVar("T")


class Comparisons:
    """Counts the PIN comparisons actually made through `module.pin_matches` (a guess is a
    comparison), calling `during()` inside each one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType,
                 during: Callable[[], None] | None = None) -> None:
        self.n = 0
        self._lock = threading.Lock()
        real = module.pin_matches

        def counted(*args: object, **kwargs: object) -> bool:
            with self._lock:
                self.n += 1
            if during is not None:
                during()
            return bool(real(*args, **kwargs))

        monkeypatch.setattr(module, "pin_matches", counted)


def interleaved(monkeypatch: pytest.MonkeyPatch, module: ModuleType,
                attempts: list[Callable[[], T]]) -> tuple[list[T], int]:
    """Run the attempts so that each one starts while every earlier one is inside its PIN
    comparison. Returns the outcomes (in start order) and the PIN comparisons made."""
    pending = list(enumerate(attempts))
    outcomes: dict[int, T] = {}

    def start_the_rest() -> None:
        while pending:
            i, attempt = pending.pop(0)
            outcomes[i] = attempt()

    compared = Comparisons(monkeypatch, module, during=start_the_rest)
    start_the_rest()
    return [outcomes[i] for i in range(len(attempts))], compared.n


def threads_or_skip() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            ("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite shares one cache; run on PostgreSQL or file SQLite")


def in_threads(jobs: list[Callable[[], T]]) -> list[T]:
    """Run the jobs at once, one thread and one database connection each."""
    barrier = threading.Barrier(len(jobs))
    outcomes: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = jobs[i]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return [outcomes[i] for i in range(len(jobs))]
