"""Demo data: each port gets a history shaped like 2019 and a live list for today."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from garita.core.seeding import SeedContext
from garita.waitlist import demo, selectors, services
from garita.waitlist import log as wlog
from garita.waitlist.models import Call, DayCapacity, Group

pytestmark = pytest.mark.django_db


def test_demo_seeds_a_verifiable_history_and_a_live_board(ports, monkeypatch):
    monkeypatch.setattr(demo, "HISTORY_DAYS", 60)
    monkeypatch.setattr(demo, "SCALE", {"san-ysidro": 1.0, "laredo": 0.2})
    today = dt.date.today()
    ctx = SeedContext(people=100, seed=2019, rng=random.Random(2019), today=today)
    demo.seed(ctx)
    wl = services.port_waitlist("san-ysidro")
    assert Group.objects.filter(waitlist=wl).count() > 300
    assert Call.objects.filter(waitlist=wl).count() == 61
    assert DayCapacity.objects.get(waitlist=wl, day=today).persons == 25
    assert Group.objects.filter(waitlist=wl, status="waiting").exists()
    assert wlog.verify(wl).ok
    assert ctx.shared["waitlist_samples"]
    sample = ctx.shared["waitlist_samples"][0]
    assert services.check_pin(port=sample["port"], number=sample["number"], pin=sample["pin"])
    board = selectors.board("san-ysidro")
    assert board["groups_waiting"] > 0
    # The last days' calls: the groups and persons called each day, as the calls record them.
    assert board["recent_days"]
    for day in board["recent_days"]:
        calls = Call.objects.filter(waitlist=wl, day=dt.date.fromisoformat(day["day"]))
        assert day["groups"] == sum(c.groups_count for c in calls)
        assert day["persons"] == sum(c.persons for c in calls)
    assert any(day["groups"] for day in board["recent_days"])
    # Seeding twice does not duplicate anything.
    before = wl.log_size
    demo.seed(SeedContext(people=100, seed=2019, rng=random.Random(2019), today=today))
    assert services.port_waitlist("san-ysidro").log_size == before


def test_demo_capacities_follow_2019():
    rng = random.Random(1)
    jan = [demo.capacity_for(0.05, rng) for _ in range(200)]
    may = [demo.capacity_for(0.54, rng) for _ in range(200)]
    july = [demo.capacity_for(0.75, rng) for _ in range(200)]
    assert 30 <= sum(jan) / 200 <= 50
    assert sum(may) / 200 > 70
    assert max(july) < 5
