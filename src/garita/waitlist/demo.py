"""Demo data: months of waitlist history per port and a live list for ctx.today.

Capacities follow 2019 at Tijuana (about 42 persons a day in January, up to 80 in May,
about 24 in June, under 5 in July, then a partial recovery). Deterministic from ctx.rng;
written in bulk with one audit event per port, and the log appended in one batch.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from zoneinfo import ZoneInfo

from django.db import transaction

from garita.audit import services as audit
from garita.core.models import Port
from garita.core.seeding import SeedContext
from garita.intake.pins import new_pin, pin_digest
from garita.waitlist import domain
from garita.waitlist import log as wlog
from garita.waitlist.domain import Event
from garita.waitlist.models import (
    Call,
    DayCapacity,
    Group,
    GroupMember,
    GroupStatus,
    Waitlist,
)

HISTORY_DAYS = 210
SCALE = {"san-ysidro": 1.0, "calexico": 0.2, "el-paso": 0.5, "laredo": 0.2, "brownsville": 0.3}
GIVEN = ["María", "José", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Carlos", "Yesenia",
         "Wilmer", "Dania", "Kevin", "Marleny", "Edwin", "Ingrid", "Jean", "Marie", "Samuel",
         "Esther", "Juan", "Lucía", "Brayan", "Sofía", "Pedro", "Gloria", "Abdou", "Fatou"]
SURNAMES = ["López", "García", "Hernández", "Martínez", "Pérez", "Ramírez", "Cruz", "Reyes",
            "Morales", "Flores", "Gómez", "Díaz", "Castillo", "Mejía", "Orellana", "Pierre",
            "Joseph", "Mendoza", "Aguilar", "Chávez", "Vásquez", "Ndiaye", "Jiménez"]
NATIONALITIES = ["HND", "HND", "HND", "GTM", "GTM", "SLV", "SLV", "CUB", "NIC", "VEN", "HTI",
                 "MEX", "CMR", "BRA", "ECU"]
LANGS = {"HND": ["spa"], "GTM": ["spa", "mam"], "SLV": ["spa"], "CUB": ["spa"],
         "NIC": ["spa"], "VEN": ["spa"], "HTI": ["hat", "fra"], "MEX": ["spa"],
         "CMR": ["fra", "eng"], "BRA": ["por"], "ECU": ["spa"]}


def capacity_for(fraction: float, rng) -> int:  # type: ignore[no-untyped-def]
    """Persons a day at a point of the 2019-shaped history (0 = January, 1 = today)."""
    base: float
    if fraction < 0.17:
        base = 42
    elif fraction < 0.55:
        base = 42 + (80 - 42) * (fraction - 0.17) / 0.38
    elif fraction < 0.7:
        base = 24
    elif fraction < 0.85:
        return rng.randint(0, 4)
    else:
        base = 30
    return max(0, int(base * rng.uniform(0.75, 1.2)))


def _group_size(rng) -> int:  # type: ignore[no-untyped-def]
    r = rng.random()
    if r < 0.35:
        return 1
    if r < 0.85:
        return rng.randint(2, 5)
    if r < 0.98:
        return rng.randint(6, 12)
    return rng.randint(13, 30)


def seed(ctx: SeedContext) -> None:
    wlog.clear_cache()
    for port in Port.objects.filter(slug__in=SCALE).order_by("slug"):
        _seed_port(ctx, port, SCALE[port.slug])


@transaction.atomic
def _seed_port(ctx: SeedContext, port: Port, scale: float) -> None:
    rng = ctx.rng
    tz = ZoneInfo(port.timezone)
    wl, _created = Waitlist.objects.get_or_create(port=port)
    wl = Waitlist.objects.select_for_update().select_related("port").get(pk=wl.pk)
    if wl.log_size:
        return  # already seeded
    start = ctx.today - dt.timedelta(days=HISTORY_DAYS)
    number = wl.next_number
    groups: list[Group] = []
    members: list[list[GroupMember]] = []
    events: list[wlog.NewEvent] = []
    caps: list[DayCapacity] = []
    calls: list[tuple[Call, list[int]]] = []
    queue: deque[int] = deque()  # indexes into groups, head first
    head: deque[int] = deque()  # no-shows sent back to the head once
    samples: list[dict] = []
    for offset in range(HISTORY_DAYS + 1):
        day = start + dt.timedelta(days=offset)
        is_today = day == ctx.today
        def at(h: int, m: int = 0, day: dt.date = day) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(h, m), tzinfo=tz)
        # Morning: capacity and the call (strict first come, first served).
        cap = capacity_for(offset / HISTORY_DAYS, rng)
        cap = max(0, round(cap * scale)) if not is_today else max(8, round(25 * scale))
        caps.append(DayCapacity(waitlist=wl, day=day, persons=cap, set_at=at(7)))
        events.append(wlog.NewEvent(Event.CAPACITY_SET, at(7), None, cap, "", day.isoformat()))
        order = list(head) + list(queue)
        alloc = domain.allocate_fcfs(
            [domain.QueuedGroup(groups[i].number, groups[i].size) for i in order], cap)
        n_called = len(alloc.called)
        called_idx = order[:n_called]
        call = Call(waitlist=wl, day=day, at=at(8), policy="fcfs", capacity=cap,
                    persons=alloc.persons, groups_count=n_called)
        calls.append((call, called_idx))
        for i in called_idx:
            (head if head and head[0] == i else queue).popleft()
        for i in called_idx:
            g = groups[i]
            g.status, g.called_at = GroupStatus.CALLED, at(8)
            events.append(wlog.NewEvent(Event.CALLED, at(8), g.number, g.size, g.commitment,
                                        "fcfs"))
        for i in called_idx:
            g = groups[i]
            if is_today and rng.random() < 0.5:
                continue  # still within the grace period on the live board
            if rng.random() < 0.06:
                g.no_shows += 1
                events.append(wlog.NewEvent(Event.NO_SHOW, at(8, 25), g.number, g.size,
                                            g.commitment))
                if g.no_shows <= domain.NO_SHOW_REQUEUES:
                    g.status, g.priority, g.called_at = GroupStatus.WAITING, 0, None
                    head.append(i)
                    events.append(wlog.NewEvent(Event.REQUEUED, at(8, 25), g.number, g.size,
                                                g.commitment))
                else:
                    g.status, g.removed_reason = GroupStatus.REMOVED, "no_show"
                    events.append(wlog.NewEvent(Event.REMOVED, at(8, 25), g.number, g.size,
                                                g.commitment, "after_call:no_show"))
            else:
                g.status, g.present_at = GroupStatus.PRESENT, at(8, 10)
                events.append(wlog.NewEvent(Event.PRESENT, at(8, 10), g.number, g.size,
                                            g.commitment))
        # Day: new registrations (more in spring), a few withdrawals.
        arrivals = max(0, round(rng.uniform(6, 16) * scale * (1.4 if 0.3 < offset /
                                                              HISTORY_DAYS < 0.6 else 1)))
        for k in range(arrivals):
            size = _group_size(rng)
            nat = rng.choice(NATIONALITIES)
            surname = rng.choice(SURNAMES)
            ms = [GroupMember(given_names=rng.choice(GIVEN),
                              surnames=f"{surname} {rng.choice(SURNAMES)}",
                              date_of_birth=dt.date(rng.randint(1960, 2024), rng.randint(1, 12),
                                                    rng.randint(1, 28)),
                              nationality=nat, languages=LANGS[nat]) for _ in range(size)]
            salt = rng.randbytes(16)
            # As waitlist.services.group_register words a member's identity.
            identity = domain.identity_text(
                [(m.given_names, m.surnames,
                  m.date_of_birth.isoformat() if m.date_of_birth else "") for m in ms])
            pin = new_pin(rng)
            reg_at = at(9 + (k * 8) // max(1, arrivals), rng.randint(0, 59))
            g = Group(waitlist=wl, number=number, size=size, registered_at=reg_at,
                      pin_digest=pin_digest(f"{port.slug}:{number}", pin),
                      identity_salt=salt.hex(),
                      commitment=domain.identity_commitment(salt, identity),
                      contact=f"+52664{rng.randint(1000000, 9999999)}")
            events.append(wlog.NewEvent(Event.REGISTERED, reg_at, number, size, g.commitment))
            groups.append(g)
            members.append(ms)
            queue.append(len(groups) - 1)
            if len(samples) < 5 and offset > HISTORY_DAYS - 3:
                samples.append({"port": port.slug, "number": number, "pin": pin})
            number += 1
        if queue and rng.random() < 0.15:
            i = queue.pop()  # the newest group withdrew
            g = groups[i]
            g.status, g.removed_reason = GroupStatus.REMOVED, "withdrew"
            events.append(wlog.NewEvent(Event.REMOVED, at(18), g.number, g.size, g.commitment,
                                        "withdrew"))
    # Events must be in time order: registrations of a day came after its call.
    events.sort(key=lambda e: e.at)
    Call.objects.bulk_create([c for c, _i in calls], batch_size=1000)
    for c, idx in calls:
        for i in idx:
            if groups[i].status != GroupStatus.WAITING:
                groups[i].call_id = c.pk
    Group.objects.bulk_create(groups, batch_size=1000)
    rows = []
    for g, ms in zip(groups, members, strict=True):
        for m in ms:
            m.group_id = g.pk
            rows.append(m)
    GroupMember.objects.bulk_create(rows, batch_size=2000)
    DayCapacity.objects.bulk_create(caps, batch_size=1000)
    Waitlist.objects.filter(pk=wl.pk).update(next_number=number)
    wlog.append(wl, events)
    wlog.latest_checkpoint(wl)
    audit.record(actor="seed", action="seed.waitlist", obj=wl,
                 new={"groups": len(groups), "log_size": wl.log_size})
    ctx.shared.setdefault("waitlist_samples", []).extend(samples)
    ctx.say(f"waitlist {port.slug}: {len(groups)} groups, {wl.log_size} log entries"
            + (f", try number {samples[0]['number']} PIN {samples[0]['pin']}" if samples else ""))
