"""The scheduler's hard constraints, one test each, and hypothesis over random dockets."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from garita.hearings import domain
from garita.hearings.domain import PortRule, Request, Scheduler, Slot

UTC = dt.UTC
T0 = dt.datetime(2019, 3, 1, 16, 0, tzinfo=UTC)  # 08:00 in Tijuana
LA = "America/Los_Angeles"


def slot(i: int, day: int, *, court: int = 1, cap: int = 5, hour: int = 16,
         calendar: str = "master", location: int = 10) -> Slot:
    start = dt.datetime(2019, 3, 1, hour, 30, tzinfo=UTC) + dt.timedelta(days=day)
    return Slot(id=i, court_id=court, location_id=location, judge_id=1, starts_at=start, tz=LA,
                calendar=calendar, capacity=cap)


PORTS = {1: PortRule(port_id=1, court_id=1, location_id=None, tz="America/Tijuana",
                     escort_capacity=1000),
         2: PortRule(port_id=2, court_id=2, location_id=None, tz="America/Tijuana",
                     escort_capacity=1000)}


def everyone(court: int, lang: str, day: dt.date) -> str | None:
    return domain.NONE if lang == "eng" else domain.IN_PERSON


def req(case_id: int, **kw) -> Request:
    kw.setdefault("port_id", 1)
    kw.setdefault("language", "spa")
    kw.setdefault("served_at", T0)
    return Request(case_id=case_id, **kw)


def test_first_hearing_is_at_least_ten_days_after_service():
    sched = Scheduler([slot(1, 5), slot(2, 9), slot(3, 11)], PORTS, everyone)
    res = sched.schedule([req(1)])
    assert [a.slot_id for a in res.assignments] == [3]


def test_written_waiver_allows_an_earlier_first_hearing():
    sched = Scheduler([slot(1, 5), slot(3, 11)], PORTS, everyone)
    res = sched.schedule([req(1, waiver=True)])
    assert res.assignments[0].slot_id == 1


def test_session_capacity_is_never_exceeded():
    sched = Scheduler([slot(1, 11, cap=2), slot(2, 12, cap=2)], PORTS, everyone)
    res = sched.schedule([req(i) for i in range(5)])
    counts = {}
    for a in res.assignments:
        counts[a.slot_id] = counts.get(a.slot_id, 0) + 1
    assert counts == {1: 2, 2: 2}
    assert [r.code for r in res.refused] == ["hearing.session_full"]


def test_family_unit_is_scheduled_in_one_session():
    sched = Scheduler([slot(1, 11, cap=2), slot(2, 12, cap=5)], PORTS, everyone)
    res = sched.schedule([req(1), req(2, family_key="f"), req(3, family_key="f"),
                          req(4, family_key="f")])
    by_case = {a.case_id: a.slot_id for a in res.assignments}
    assert by_case[1] == 1
    assert by_case[2] == by_case[3] == by_case[4] == 2


def test_no_session_without_an_interpreter_for_the_language_that_day():
    day11 = slot(1, 11).local_date

    def only_day_12(court: int, lang: str, day: dt.date) -> str | None:
        if lang == "quc":
            return None if day == day11 else domain.REMOTE
        return domain.IN_PERSON

    sched = Scheduler([slot(1, 11), slot(2, 12)], PORTS, only_day_12)
    res = sched.schedule([req(1, language="quc")])
    assert res.assignments[0].slot_id == 2
    assert res.assignments[0].interpreter_mode == domain.REMOTE


def test_escort_capacity_at_the_port_that_morning():
    ports = {1: PortRule(port_id=1, court_id=1, location_id=None, tz="America/Tijuana",
                         escort_capacity=2)}
    sched = Scheduler([slot(1, 11, cap=10), slot(2, 12, cap=10)], ports, everyone)
    res = sched.schedule([req(i) for i in range(3)])
    assert sorted(a.slot_id for a in res.assignments) == [1, 1, 2]


def test_people_processed_in_the_us_need_no_escort():
    ports = {1: PortRule(port_id=1, court_id=1, location_id=None, tz="America/Tijuana",
                         escort_capacity=0)}
    sched = Scheduler([slot(1, 11)], ports, everyone)
    res = sched.schedule([req(1, needs_escort=False)])
    assert res.assignments[0].report_at is None


def test_only_the_court_the_port_feeds():
    sched = Scheduler([slot(1, 11, court=2), slot(2, 20, court=1)], PORTS, everyone)
    res = sched.schedule([req(1)])
    assert res.assignments[0].slot_id == 2


def test_unknown_language_is_refused():
    sched = Scheduler([slot(1, 11)], PORTS, everyone)
    res = sched.schedule([req(1, language="xxx")])
    assert res.refused[0].code == "hearing.unknown_language"


def test_priority_flag_goes_first_then_order_of_service():
    sched = Scheduler([slot(1, 11, cap=1), slot(2, 12, cap=1), slot(3, 13, cap=1)], PORTS,
                      everyone)
    res = sched.schedule([
        req(1, served_at=T0, priority=1), req(2, served_at=T0 + dt.timedelta(hours=1),
                                              priority=1),
        req(3, served_at=T0 + dt.timedelta(hours=2), priority=0),
    ])
    assert {a.case_id: a.slot_id for a in res.assignments} == {3: 1, 1: 2, 2: 3}


def test_report_time_is_the_lead_before_the_hearing():
    sched = Scheduler([slot(1, 11)], PORTS, everyone)
    a = sched.schedule([req(1)]).assignments[0]
    assert a.starts_at - a.report_at == dt.timedelta(hours=4)


@st.composite
def dockets(draw):
    n_slots = draw(st.integers(1, 25))
    slots = [slot(i, draw(st.integers(0, 40)), court=draw(st.sampled_from([1, 2])),
                  cap=draw(st.integers(0, 6)), hour=draw(st.sampled_from([15, 16, 20])),
                  calendar=draw(st.sampled_from(["master", "master", "individual"])))
             for i in range(n_slots)]
    ports = {p: PortRule(port_id=p, court_id=p, location_id=None, tz="America/Tijuana",
                         escort_capacity=draw(st.integers(0, 8))) for p in (1, 2)}
    closed = draw(st.sets(st.tuples(st.sampled_from(["spa", "por", "quc"]),
                                    st.integers(0, 40)), max_size=20))

    def interp(court: int, lang: str, day: dt.date) -> str | None:
        offset = (day - T0.date()).days
        return None if (lang, offset) in closed else domain.REMOTE

    n = draw(st.integers(0, 40))
    reqs = []
    for i in range(n):
        reqs.append(Request(
            case_id=i, port_id=draw(st.sampled_from([1, 2])),
            language=draw(st.sampled_from(["spa", "por", "quc", "eng", "zzz"])),
            served_at=T0 + dt.timedelta(hours=draw(st.integers(0, 24 * 30))),
            family_key=draw(st.sampled_from(["", "", "a", "b", "c"])),
            waiver=draw(st.booleans()), needs_escort=draw(st.booleans()),
            calendar=draw(st.sampled_from(["master", "individual"])),
            priority=draw(st.integers(0, 2)),
        ))
    # A family shares a port and a calendar (one encounter, one docket).
    fam: dict[str, Request] = {}
    fixed = []
    for r in reqs:
        if r.family_key:
            head = fam.setdefault(r.family_key, r)
            r = Request(**{**r.__dict__, "port_id": head.port_id, "calendar": head.calendar})
        fixed.append(r)
    return slots, ports, interp, fixed


@settings(max_examples=120, deadline=None)
@given(dockets())
def test_no_schedule_ever_breaks_a_hard_constraint(docket):
    slots, ports, interp, reqs = docket
    res = Scheduler(slots, ports, interp).schedule(reqs)
    assert domain.violations(res.assignments, {r.case_id: r for r in reqs},
                             {s.id: s for s in slots}, ports, interp) == []
    assert len(res.assignments) + len(res.refused) == len(reqs)


@settings(max_examples=60, deadline=None)
@given(dockets())
def test_mean_wait_is_never_below_the_capacity_lower_bound(docket):
    slots, ports, interp, reqs = docket
    res = Scheduler(slots, ports, interp).schedule(reqs)
    if not res.assignments:
        return
    by_id = {r.case_id: r for r in reqs}
    mean = sum((a.starts_at - by_id[a.case_id].served_at).total_seconds() / 86400
               for a in res.assignments) / len(res.assignments)
    bound = domain.capacity_lower_bound_wait([by_id[a.case_id] for a in res.assignments],
                                             slots, ports)
    assert mean >= bound - 1e-9


def test_capacity_lower_bound_matches_an_unconstrained_schedule():
    slots = [slot(1, 11, cap=1), slot(2, 12, cap=1)]
    reqs = [req(1), req(2)]
    res = Scheduler(slots, PORTS, everyone).schedule(reqs)
    waits = [(a.starts_at - T0).total_seconds() / 86400 for a in res.assignments]
    assert domain.capacity_lower_bound_wait(reqs, slots, PORTS) == sum(waits) / 2
