"""Officers calling at the same moment: nobody is called twice and no number is skipped.

Real connections (transaction=True), one per thread; the per-port Waitlist row lock
serialises the calls. Meant for PostgreSQL; also runs on SQLite's write lock.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from garita.waitlist import services
from garita.waitlist.models import Call, Group, LogEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_calls_never_call_a_number_twice_or_skip_one(register, officer):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            ("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite shares one cache; run on PostgreSQL or file SQLite")
    for i in range(30):
        register(1 + i % 3)
    services.set_capacity(actor=officer, port="san-ysidro", persons=1000)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                services.call_next(actor=officer, port="san-ysidro", capacity=5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    called = list(Group.objects.exclude(status="waiting").order_by("called_at", "number")
                  .values_list("number", flat=True))
    logged = list(LogEvent.objects.filter(event="called").order_by("index")
                  .values_list("number", flat=True))
    assert len(logged) == len(set(logged))  # nobody called twice
    assert sorted(logged) == list(range(1, len(logged) + 1))  # no number skipped
    assert sorted(called) == sorted(logged)
    assert sum(Call.objects.values_list("persons", flat=True)) == sum(
        Group.objects.filter(number__in=logged).values_list("size", flat=True))
    assert Call.objects.count() == 12
    assert all(p <= 5 for p in Call.objects.values_list("persons", flat=True))
    from garita.waitlist import log as wlog

    assert wlog.verify(services.port_waitlist("san-ysidro")).ok
