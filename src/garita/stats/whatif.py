"""What-if for planners: a discrete-event simulation (simpy) of one port's waitlist feeding one
immigration court, to see the waitlist and the court backlog over the coming months.

The core (`Scenario`, `simulate`) is pure and seeded: the same scenario gives the same months.
Cases go round the court's docket first come first served; a case is decided after its
`hearings_per_case`-th hearing (continuances send it to the back of the docket).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import simpy
from django.utils.translation import gettext_lazy as _

from garita.core.errors import DomainError


@dataclass(frozen=True)
class Scenario:
    port_slug: str = ""
    court_slug: str = ""
    start: dt.date = dt.date(2019, 7, 1)
    months: int = 6
    initial_waitlist: int = 0
    arrivals_per_day: float = 40.0
    port_capacity_per_day: float = 40.0
    mpp_share: float = 0.6
    initial_backlog: int = 0
    judges: int = 2
    sessions_per_week: float = 5.0  # per judge
    cases_per_session: int = 25
    hearings_per_case: int = 3
    seed: int = 2019


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    waitlist: int
    backlog: int
    processed: int
    decided: int


@dataclass(frozen=True)
class SimulationResult:
    scenario: Scenario
    months: tuple[MonthFigures, ...]


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def simulate(s: Scenario) -> SimulationResult:
    """Run the scenario day by day for `s.months` calendar months from `s.start`."""
    rng = np.random.default_rng(s.seed)
    env = simpy.Environment()
    start = dt.date(s.start.year, s.start.month, 1)
    end = _add_months(start, s.months)
    n_days = (end - start).days
    state = {"waitlist": s.initial_waitlist, "processed": 0, "decided": 0}
    docket: collections.deque[int] = collections.deque([s.hearings_per_case] * s.initial_backlog)
    months: list[MonthFigures] = []
    daily_slots = s.judges * s.sessions_per_week * s.cases_per_session / 5.0

    def port() -> Any:
        while True:
            state["waitlist"] += int(rng.poisson(s.arrivals_per_day))
            served = min(state["waitlist"], int(rng.poisson(s.port_capacity_per_day)))
            state["waitlist"] -= served
            state["processed"] += served
            to_court = int(rng.binomial(served, s.mpp_share)) if served else 0
            docket.extend([s.hearings_per_case] * to_court)
            yield env.timeout(1)

    def court() -> Any:
        while True:
            day = start + dt.timedelta(days=int(env.now))
            if day.weekday() < 5 and docket:
                slots = int(rng.poisson(daily_slots)) if daily_slots > 0 else 0
                for _ in range(min(slots, len(docket))):
                    left = docket.popleft() - 1
                    if left > 0:
                        docket.append(left)
                    else:
                        state["decided"] += 1
            yield env.timeout(1)

    def recorder() -> Any:
        month = start
        while True:
            nxt = _add_months(month, 1)
            yield env.timeout((nxt - month).days - 1e-9)
            months.append(MonthFigures(month=month, waitlist=state["waitlist"],
                                       backlog=len(docket), processed=state["processed"],
                                       decided=state["decided"]))
            state["processed"] = 0
            state["decided"] = 0
            month = nxt
            yield env.timeout(1e-9)

    env.process(port())
    env.process(court())
    env.process(recorder())
    env.run(until=n_days)
    return SimulationResult(scenario=s, months=tuple(months[: s.months]))


LIMITS: dict[str, tuple[float, float, type]] = {
    "months": (1, 24, int),
    "initial_waitlist": (0, 1_000_000, int),
    "arrivals_per_day": (0, 10_000, float),
    "port_capacity_per_day": (0, 10_000, float),
    "mpp_share": (0, 1, float),
    "initial_backlog": (0, 2_000_000, int),
    "judges": (0, 200, int),
    "sessions_per_week": (0, 20, float),
    "cases_per_session": (1, 500, int),
    "hearings_per_case": (1, 12, int),
}
PARAM_LABELS = {
    "months": _("Months to simulate"),
    "initial_waitlist": _("People on the waitlist today"),
    "arrivals_per_day": _("New people joining the waitlist per day"),
    "port_capacity_per_day": _("Port capacity (people processed per day)"),
    "mpp_share": _("Share of processed people sent to court under MPP (0 to 1)"),
    "initial_backlog": _("Pending cases at the court today"),
    "judges": _("Judges"),
    "sessions_per_week": _("Sessions per judge per week"),
    "cases_per_session": _("Cases per session"),
    "hearings_per_case": _("Hearings until a decision"),
}


def apply_params(base: Scenario, params: Mapping[str, str]) -> Scenario:
    """The baseline with the planner's changes; out-of-range values are refused."""
    changes: dict[str, Any] = {}
    for name, (lo, hi, kind) in LIMITS.items():
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = kind(float(raw)) if kind is int else float(raw)
        except ValueError as exc:
            raise DomainError("whatif.bad_parameter", _("Enter a number."), field=name) from exc
        if not lo <= value <= hi or value != value:
            raise DomainError(
                "whatif.bad_parameter",
                _("Enter a number between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi},
                field=name,
            )
        changes[name] = value
    return replace(base, **changes)


def baseline_from_data(port_slug: str | None = None, court_slug: str | None = None,
                       today: dt.date | None = None) -> Scenario:
    """Today's situation as far as the data tells it (defaults where it does not)."""
    from django.db.models import Avg, Sum
    from django.utils import timezone

    from garita.core.models import Port
    from garita.hearings.models import Court, CourtSession, Judge
    from garita.stats.models import CubeCell
    from garita.stats.selectors import daily_history

    today = today or timezone.localdate()
    port = Port.objects.filter(slug=port_slug).first() if port_slug else None
    port = port or Port.objects.filter(active=True).order_by("id").first()
    court = Court.objects.filter(slug=court_slug).first() if court_slug else None
    if court is None and port is not None:
        court = Court.objects.filter(fed_by_ports=port).order_by("id").first()
    court = court or Court.objects.order_by("id").first()
    s = Scenario(start=today, port_slug=port.slug if port else "",
                 court_slug=court.slug if court else "")
    history = daily_history(port.slug, 60) if port else None
    if history:
        history = sorted(history, key=lambda d: d.date)
        recent = history[-30:]
        cap = sum(d.capacity_persons for d in recent) / len(recent)
        called = sum(d.persons_called for d in recent) / len(recent)
        growth = (history[-1].persons_waiting - recent[0].persons_waiting) / max(1, len(recent))
        s = replace(s, initial_waitlist=int(history[-1].persons_waiting),
                    port_capacity_per_day=round(cap, 1),
                    arrivals_per_day=round(max(0.0, called + growth), 1))
    if court is not None:
        judges = Judge.objects.filter(court=court, active=True).count()
        since = timezone.now() - dt.timedelta(days=91)
        sessions = CourtSession.objects.filter(location__court=court, starts_at__gte=since)
        n_sessions = sessions.count()
        per_session = sessions.aggregate(a=Avg("capacity"))["a"]
        backlog = CubeCell.objects.filter(court_id=court.pk, outcome="pending").aggregate(
            n=Sum("cases"))["n"] or 0
        s = replace(
            s, judges=judges or s.judges, initial_backlog=int(backlog),
            sessions_per_week=round(n_sessions / 13 / max(1, judges), 1) if n_sessions
            else s.sessions_per_week,
            cases_per_session=int(per_session) if per_session else s.cases_per_session,
        )
    return s


def scenario_from_params(params: Mapping[str, str]) -> tuple[Scenario, Scenario]:
    """(scenario, baseline) for the what-if page."""
    baseline = baseline_from_data(params.get("port") or None, params.get("court") or None)
    baseline = apply_params(baseline, {"months": params.get("months", "")})
    return apply_params(baseline, params), baseline
