"""Hearing rules in pure code: the scheduler, the reschedule rules, the hearing-day guards.

Invariants kept by `Scheduler`: no assignment ever breaks a hard constraint (10 days after
service unless waived in writing, family in one session, session capacity, interpreter that
day, escort capacity at the port that morning, the court the port feeds).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

NOTICE_PERIOD = dt.timedelta(days=10)
RESCISSION_WINDOW_DAYS = 180
DEFAULT_REPORT_LEAD = dt.timedelta(hours=4)

# ISO 639-3 codes Garita knows; anything else is refused as an unknown language.
KNOWN_LANGUAGES: dict[str, str] = {
    "spa": "Spanish", "eng": "English", "por": "Portuguese", "hat": "Haitian Creole",
    "quc": "K'iche'", "mam": "Mam", "kjb": "Q'anjob'al", "fra": "French",
    "cak": "Kaqchikel", "rus": "Russian", "tzo": "Tzotzil",
}
NO_INTERPRETER = frozenset({"eng"})

IN_PERSON = "in_person"
REMOTE = "remote"
NONE = "none"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class Slot:
    """A court session the scheduler can fill."""

    id: int
    court_id: int
    location_id: int
    judge_id: int
    starts_at: dt.datetime  # aware
    tz: str
    calendar: str
    capacity: int

    @property
    def local_date(self) -> dt.date:
        return self.starts_at.astimezone(zone(self.tz)).date()


@dataclass(frozen=True)
class PortRule:
    port_id: int
    court_id: int
    location_id: int | None
    tz: str
    report_lead: dt.timedelta = DEFAULT_REPORT_LEAD
    escort_capacity: int = 160  # persons per morning


@dataclass(frozen=True)
class Request:
    """One case to schedule. `needs_escort`: waits in Mexico, reports at the port."""

    case_id: int
    port_id: int
    language: str
    served_at: dt.datetime
    family_key: str = ""
    waiver: bool = False
    priority: int = 0  # lower goes first
    needs_escort: bool = True
    calendar: str = "master"
    not_before: dt.datetime | None = None


@dataclass(frozen=True)
class Assignment:
    case_id: int
    slot_id: int
    starts_at: dt.datetime
    report_at: dt.datetime | None
    report_port_id: int | None
    interpreter_mode: str
    court_id: int
    location_id: int


@dataclass(frozen=True)
class Refusal:
    case_id: int
    code: str


@dataclass
class Result:
    assignments: list[Assignment] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


InterpreterLookup = Callable[[int, str, dt.date], str | None]


def interpreter_table(rows: Iterable[tuple[int, str, str, dt.date | None, Sequence[int], bool]]
                      ) -> InterpreterLookup:
    """Build the lookup from (court, language, mode, date|None, weekdays, available) rows.

    A dated row overrides the weekday rows for that day; in person beats remote.
    """
    dated: dict[tuple[int, str, dt.date], str | None] = {}
    weekly: dict[tuple[int, str, int], str] = {}
    for court_id, lang, mode, date, weekdays, available in rows:
        if date is not None:
            prev = dated.get((court_id, lang, date))
            if not available:
                dated[(court_id, lang, date)] = None
            elif prev != IN_PERSON:
                dated[(court_id, lang, date)] = mode
        else:
            for wd in weekdays or range(5):
                if available and weekly.get((court_id, lang, wd)) != IN_PERSON:
                    weekly[(court_id, lang, wd)] = mode

    def lookup(court_id: int, lang: str, date: dt.date) -> str | None:
        if lang in NO_INTERPRETER:
            return NONE
        key = (court_id, lang, date)
        if key in dated:
            return dated[key]
        return weekly.get((court_id, lang, date.weekday()))

    return lookup


def combine_modes(modes: Iterable[str | None]) -> str | None:
    """One mode for a session serving several languages: None if any is missing."""
    out = NONE
    for m in modes:
        if m is None:
            return None
        if m == REMOTE:
            out = REMOTE
        elif m == IN_PERSON and out == NONE:
            out = IN_PERSON
    return out


def earliest_start(served_at: dt.datetime, waiver: bool) -> dt.datetime:
    """The first moment a first hearing may start (8 U.S.C. 1229(b)(1))."""
    return served_at if waiver else served_at + NOTICE_PERIOD


def too_soon(*, served_at: dt.datetime, starts_at: dt.datetime, waiver: bool) -> bool:
    return starts_at < earliest_start(served_at, waiver)


def report_time(starts_at: dt.datetime, lead: dt.timedelta) -> dt.datetime:
    return starts_at - lead


class Scheduler:
    """In-memory greedy over indexed sessions; `schedule()` never breaks a hard constraint.

    Sessions per (court, calendar) are kept sorted with a union-find "next session with room"
    pointer so full sessions are skipped in near-constant time even for 100,000 cases.
    """

    def __init__(
        self,
        slots: Iterable[Slot],
        ports: Mapping[int, PortRule],
        interpreters: InterpreterLookup,
        *,
        used: Mapping[int, int] | None = None,
        escort_used: Mapping[tuple[int, dt.date], int] | None = None,
        session_languages: Mapping[int, set[str]] | None = None,
    ) -> None:
        self.ports = dict(ports)
        self.interpreters = interpreters
        self.slots: dict[int, Slot] = {}
        self.free: dict[int, int] = {}
        self.escort_used: dict[tuple[int, dt.date], int] = defaultdict(int, escort_used or {})
        self.session_languages: dict[int, set[str]] = defaultdict(set)
        for k, v in (session_languages or {}).items():
            self.session_languages[k] = set(v)
        groups: dict[tuple[int, str], list[Slot]] = defaultdict(list)
        for s in slots:
            self.slots[s.id] = s
            self.free[s.id] = s.capacity - (used or {}).get(s.id, 0)
            groups[(s.court_id, s.calendar)].append(s)
        self.lists: dict[tuple[int, str], list[Slot]] = {}
        self.starts: dict[tuple[int, str], list[dt.datetime]] = {}
        self.next_free: dict[tuple[int, str], list[int]] = {}
        self.next_day: dict[tuple[int, str], list[int]] = {}
        self._local_date: dict[int, dt.date] = {}
        self._report_date: dict[tuple[int, int], tuple[dt.datetime, dt.date]] = {}
        self._modes: dict[tuple[int, tuple[str, ...], dt.date], str | None] = {}
        self._hints: dict[tuple[object, ...], tuple[int, dt.datetime]] = {}
        for key, lst in groups.items():
            lst.sort(key=lambda s: (s.starts_at, s.id))
            self.lists[key] = lst
            self.starts[key] = [s.starts_at for s in lst]
            n = len(lst)
            self.next_free[key] = [i if self.free[lst[i].id] > 0 else i + 1 for i in range(n)] + [n]
            dates = [self.local_date(s) for s in lst]
            nd = [n] * (n + 1)
            for i in range(n - 1, -1, -1):
                nd[i] = nd[i + 1] if i + 1 < n and dates[i + 1] == dates[i] else i + 1
            self.next_day[key] = nd

    def local_date(self, s: Slot) -> dt.date:
        d = self._local_date.get(s.id)
        if d is None:
            d = self._local_date[s.id] = s.local_date
        return d

    def report(self, s: Slot, rule: PortRule) -> tuple[dt.datetime, dt.date]:
        key = (s.id, rule.port_id)
        got = self._report_date.get(key)
        if got is None:
            at = report_time(s.starts_at, rule.report_lead)
            got = self._report_date[key] = (at, at.astimezone(zone(rule.tz)).date())
        return got

    def _find(self, key: tuple[int, str], i: int) -> int:
        nf = self.next_free[key]
        root = i
        while nf[root] != root and root < len(nf) - 1:
            root = nf[root]
        while nf[i] != root and i < len(nf) - 1:
            nf[i], i = root, nf[i]
        return root

    def _take(self, key: tuple[int, str], idx: int, s: Slot, n: int) -> None:
        self.free[s.id] -= n
        if self.free[s.id] <= 0:
            self.next_free[key][idx] = idx + 1

    def check(self, group: Sequence[Request], s: Slot) -> str | None:
        """Why this session cannot take this family (a stable code), or None if it can."""
        head = group[0]
        rule = self.ports.get(head.port_id)
        if rule is None or s.court_id != rule.court_id:
            return "hearing.wrong_court"
        if rule.location_id is not None and s.location_id != rule.location_id:
            return "hearing.wrong_court"
        if s.calendar != head.calendar:
            return "hearing.wrong_calendar"
        for r in group:
            if r.language not in KNOWN_LANGUAGES:
                return "hearing.unknown_language"
            if too_soon(served_at=r.served_at, starts_at=s.starts_at, waiver=r.waiver):
                return "hearing.too_soon"
            if r.not_before is not None and s.starts_at < r.not_before:
                return "hearing.too_soon"
        if self.free[s.id] < len(group):
            return "hearing.session_full"
        day = self.local_date(s)
        if combine_modes(self.interpreters(s.court_id, r.language, day) for r in group) is None:
            return "hearing.no_interpreter"
        escorted = sum(1 for r in group if r.needs_escort)
        if escorted:
            _, rday = self.report(s, rule)
            if self.escort_used[(rule.port_id, rday)] + escorted > rule.escort_capacity:
                return "hearing.escort_full"
        return None

    def place(self, group: Sequence[Request], s: Slot) -> list[Assignment]:
        """Book a checked session for a family; returns one assignment per member."""
        head = group[0]
        rule = self.ports[head.port_id]
        key = (s.court_id, s.calendar)
        idx = bisect.bisect_left(self.starts[key], s.starts_at)
        while self.lists[key][idx].id != s.id:
            idx += 1
        self._take(key, idx, s, len(group))
        day = self.local_date(s)
        out = []
        for r in group:
            mode = self.interpreters(s.court_id, r.language, day) or NONE
            rep_at: dt.datetime | None = None
            if r.needs_escort:
                rep_at, rday = self.report(s, rule)
                self.escort_used[(rule.port_id, rday)] += 1
            self.session_languages[s.id].add(r.language)
            out.append(Assignment(
                case_id=r.case_id, slot_id=s.id, starts_at=s.starts_at, report_at=rep_at,
                report_port_id=rule.port_id if r.needs_escort else None,
                interpreter_mode=mode, court_id=s.court_id, location_id=s.location_id,
            ))
        return out

    def _mode(self, court_id: int, langs: tuple[str, ...], day: dt.date) -> str | None:
        key = (court_id, langs, day)
        if key in self._modes:
            return self._modes[key]
        mode = self._modes[key] = combine_modes(self.interpreters(court_id, lang, day)
                                                for lang in langs)
        return mode

    def first_fit(self, group: Sequence[Request]) -> Slot | str:
        """The earliest session that takes the whole family, or the refusal code.

        Sessions are only ever filled, never freed, during a run, so a session that could
        not take a family of this shape (port, languages, size) never can later: a hint
        per shape lets the next search start where the last one succeeded.
        """
        head = group[0]
        rule = self.ports.get(head.port_id)
        if rule is None:
            return "hearing.port_has_no_court"
        for r in group:
            if r.language not in KNOWN_LANGUAGES:
                return "hearing.unknown_language"
        key = (rule.court_id, head.calendar)
        lst = self.lists.get(key)
        if not lst:
            return "hearing.no_session"
        earliest = max(
            max(earliest_start(r.served_at, r.waiver) for r in group),
            max((r.not_before for r in group if r.not_before), default=group[0].served_at),
        )
        langs = tuple(sorted({r.language for r in group}))
        size = len(group)
        escorted = sum(1 for r in group if r.needs_escort)
        shape = (key, rule.port_id, langs, escorted, size)
        i = bisect.bisect_left(self.starts[key], earliest)
        hint = self._hints.get(shape)
        if hint is not None and hint[1] <= earliest:
            i = max(i, hint[0])
        n = len(lst)
        free = self.free
        loc = rule.location_id
        last_code = "hearing.session_full" if i < n else "hearing.no_session"
        while True:
            i = self._find(key, i)
            if i >= n:
                return last_code
            s = lst[i]
            if loc is not None and s.location_id != loc:
                last_code = "hearing.wrong_court"
                i += 1
                continue
            if free[s.id] < size:
                last_code = "hearing.session_full"
                i += 1
                continue
            day = self.local_date(s)
            if self._mode(s.court_id, langs, day) is None:
                last_code = "hearing.no_interpreter"
                i = self.next_day[key][i]  # the whole day lacks the interpreter
                continue
            if escorted:
                _at, rday = self.report(s, rule)
                if self.escort_used[(rule.port_id, rday)] + escorted > rule.escort_capacity:
                    last_code = "hearing.escort_full"
                    i = self.next_day[key][i] if rday == day else i + 1
                    continue
            self._hints[shape] = (i, earliest)
            return s

    def schedule(self, requests: Iterable[Request],
                 progress: Callable[[int], None] | None = None) -> Result:
        """Assign every request in order of priority then service; families stay together."""
        families: dict[str, list[Request]] = {}
        groups: list[list[Request]] = []
        for r in requests:
            if r.family_key:
                g = families.get(r.family_key)
                if g is None:
                    g = families[r.family_key] = []
                    groups.append(g)
                g.append(r)
            else:
                groups.append([r])
        groups.sort(key=lambda g: (min(r.priority for r in g), min(r.served_at for r in g),
                                   min(r.case_id for r in g)))
        result = Result()
        done = 0
        for g in groups:
            got = self.first_fit(g)
            if isinstance(got, str):
                result.refused.extend(Refusal(r.case_id, got) for r in g)
            else:
                result.assignments.extend(self.place(g, got))
            done += len(g)
            if progress is not None and done % 1000 < len(g):
                progress(done)
        return result


def violations(
    assignments: Sequence[Assignment],
    requests: Mapping[int, Request],
    slots: Mapping[int, Slot],
    ports: Mapping[int, PortRule],
    interpreters: InterpreterLookup,
    *,
    used: Mapping[int, int] | None = None,
) -> list[str]:
    """Every hard-constraint violation in a set of assignments (empty when all is well).

    Independent of the scheduler's bookkeeping, so tests and the benchmark can trust it.
    """
    out: list[str] = []
    per_slot: dict[int, int] = defaultdict(int)
    escort: dict[tuple[int, dt.date], int] = defaultdict(int)
    family_slot: dict[str, int] = {}
    for a in assignments:
        r = requests[a.case_id]
        s = slots[a.slot_id]
        rule = ports[r.port_id]
        per_slot[s.id] += 1
        if s.court_id != rule.court_id or (rule.location_id and s.location_id != rule.location_id):
            out.append(f"{r.case_id}: wrong court")
        if too_soon(served_at=r.served_at, starts_at=s.starts_at, waiver=r.waiver):
            out.append(f"{r.case_id}: too soon")
        day = s.local_date
        if interpreters(s.court_id, r.language, day) is None:
            out.append(f"{r.case_id}: no interpreter")
        if r.needs_escort:
            rday = report_time(s.starts_at, rule.report_lead).astimezone(zone(rule.tz)).date()
            escort[(rule.port_id, rday)] += 1
        if r.family_key:
            prev = family_slot.setdefault(r.family_key, s.id)
            if prev != s.id:
                out.append(f"{r.case_id}: family split")
    for sid, n in per_slot.items():
        if n + (used or {}).get(sid, 0) > slots[sid].capacity:
            out.append(f"session {sid}: over capacity")
    caps = {p.port_id: p.escort_capacity for p in ports.values()}
    for (pid, day), n in escort.items():
        if n > caps[pid]:
            out.append(f"port {pid} {day}: escort over capacity")
    return out


def capacity_lower_bound_wait(requests: Sequence[Request], slots: Sequence[Slot],
                              ports: Mapping[int, PortRule]) -> float:
    """Mean wait (days from service) if only session capacity and the notice period counted.

    Each court's cases go, earliest-allowed first, into its sessions earliest first; no
    schedule meeting more constraints can have a smaller mean wait.
    """
    by_court: dict[tuple[int, str], list[Slot]] = defaultdict(list)
    for s in slots:
        by_court[(s.court_id, s.calendar)].append(s)
    reqs: dict[tuple[int, str], list[Request]] = defaultdict(list)
    for r in requests:
        rule = ports.get(r.port_id)
        if rule:
            reqs[(rule.court_id, r.calendar)].append(r)
    total = 0.0
    count = 0
    for key, rs in reqs.items():
        lst = sorted(by_court.get(key, []), key=lambda s: s.starts_at)
        rs = sorted(rs, key=lambda r: earliest_start(r.served_at, r.waiver))
        # A min-cost matching of sorted release times to sorted capacity units: greedy in
        # order is optimal when each case takes the earliest unit at or after its release.
        units: list[dt.datetime] = []
        for s in lst:
            units.extend([s.starts_at] * s.capacity)
        j = 0
        for r in rs:
            e = earliest_start(r.served_at, r.waiver)
            j = max(j, bisect.bisect_left(units, e, lo=j))
            if j >= len(units):
                break
            total += (units[j] - r.served_at).total_seconds() / 86400
            count += 1
            j += 1
    return total / count if count else 0.0


# --- Reschedule rules -------------------------------------------------------------------


@dataclass(frozen=True)
class RescheduleRule:
    """`fixed` (date), `plus_days` (days), or `may_2020` (one month after the last noticed
    date; a weekend date moves to the next Monday)."""

    kind: str
    date: dt.date | None = None
    days: int = 0

    def target(self, last_noticed: dt.date) -> dt.date:
        if self.kind == "fixed":
            if self.date is None:
                raise ValueError("fixed rule needs a date")
            return self.date
        if self.kind == "plus_days":
            return last_noticed + dt.timedelta(days=self.days)
        if self.kind == "may_2020":
            return next_weekday(add_one_month(last_noticed))
        raise ValueError(f"unknown rule {self.kind}")

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "date": self.date.isoformat() if self.date else None,
                "days": self.days}


RULE_KINDS = ("fixed", "plus_days", "may_2020")


def add_one_month(d: dt.date) -> dt.date:
    """Same day next month; the 31st of a shorter month becomes its last day."""
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def next_weekday(d: dt.date) -> dt.date:
    """A Saturday or Sunday moves to the next Monday; weekdays stay."""
    if d.weekday() == 5:
        return d + dt.timedelta(days=2)
    if d.weekday() == 6:
        return d + dt.timedelta(days=1)
    return d


# --- Hearing day ------------------------------------------------------------------------

ABSENCE_OUTCOMES = frozenset({"did_not_appear", "removal_in_absentia"})
FINAL_OUTCOMES = frozenset({"relief_granted", "removal_ordered", "removal_in_absentia",
                            "terminated", "taken_off_mpp"})


def checked_in_in_time(*, checked_in_at: dt.datetime | None, starts_at: dt.datetime) -> bool:
    """The person presented at the port before the hearing began: from then on getting them
    to court is the government's job, so a late escort can never be their absence."""
    return checked_in_at is not None and checked_in_at <= starts_at


@dataclass(frozen=True)
class NoticeFact:
    kind: str  # nta / hearing_notice / tear_sheet
    issued_at: dt.datetime
    served: bool
    has_time_and_place: bool
    method: str = ""
    proof: str = ""


def notice_not_proven_reasons(notices: Sequence[NoticeFact]) -> list[str]:
    """Why notice is not proven for an in-absentia order (empty list: proven).

    The NTA must have had time and place and been served; every later hearing notice must
    have been served too; service by mail needs proof of an attempted delivery.
    """
    reasons: list[str] = []
    ntas = [n for n in notices if n.kind == "nta"]
    if not ntas:
        return ["no_nta"]
    first = min(ntas, key=lambda n: n.issued_at)
    if not first.has_time_and_place:
        reasons.append("nta_without_time_and_place")
    if not any(n.served for n in ntas):
        reasons.append("nta_not_served")
    for n in notices:
        if n.kind == "tear_sheet":
            continue
        if n.issued_at > first.issued_at and n.kind == "hearing_notice" and not n.served:
            reasons.append("later_notice_not_served")
        if n.served and n.method == "mail" and not n.proof:
            reasons.append("mail_without_proof")
    return sorted(set(reasons))


def rescission_deadline(ordered_on: dt.date) -> dt.date:
    return ordered_on + dt.timedelta(days=RESCISSION_WINDOW_DAYS)


# --- Port check-in and escort runs ------------------------------------------------------

CHECK_IN_EARLIEST = dt.timedelta(hours=24)  # a check-in belongs to the hearing morning
CLOCK_SKEW = dt.timedelta(minutes=5)


def check_in_problem(*, at: dt.datetime, starts_at: dt.datetime, now: dt.datetime
                     ) -> str | None:
    """Why a check-in time cannot be recorded (a stable code), or None.

    A time in the future would later shield a real absence; one days early belongs to
    another hearing. Checking in after the hearing began is allowed: it is the truth."""
    if at > now + CLOCK_SKEW:
        return "checkin.in_future"
    if at < starts_at - CHECK_IN_EARLIEST:
        return "checkin.too_early"
    return None


@dataclass(frozen=True)
class EscortMember:
    """What the escort rule needs to know about one hearing."""

    hearing_id: int
    report_port_id: int | None
    scheduled: bool
    checked_in: bool
    in_run: bool


def escort_run_problem(members: Sequence[EscortMember], *, persons_per_run: int
                       ) -> tuple[str, list[int]] | None:
    """Why these people cannot leave together in one escort run: (code, hearing ids), or None.

    One run carries only people of one port, each scheduled and checked in there, none
    already on another run, and no more than the port's persons per run."""
    if not members:
        return ("escort.empty", [])
    no_port = [m.hearing_id for m in members if m.report_port_id is None]
    if no_port:
        return ("escort.no_port", no_port)
    if len({m.report_port_id for m in members}) > 1:
        return ("escort.mixed_ports", [m.hearing_id for m in members])
    not_scheduled = [m.hearing_id for m in members if not m.scheduled]
    if not_scheduled:
        return ("escort.not_scheduled", not_scheduled)
    not_in = [m.hearing_id for m in members if not m.checked_in]
    if not_in:
        return ("escort.not_checked_in", not_in)
    taken = [m.hearing_id for m in members if m.in_run]
    if taken:
        return ("escort.already_in_run", taken)
    if len(members) > persons_per_run:
        return ("escort.over_capacity", [m.hearing_id for m in members[persons_per_run:]])
    return None


def arrival_problem(*, departed_at: dt.datetime | None, arrived_at: dt.datetime,
                    already_arrived: bool, now: dt.datetime) -> str | None:
    """Why an arrival at court cannot be recorded, or None."""
    if already_arrived:
        return "escort.already_arrived"
    if arrived_at > now + CLOCK_SKEW:
        return "escort.arrival_in_future"
    if departed_at is not None and arrived_at < departed_at:
        return "escort.arrival_before_departure"
    return None
