"""Wait forecasts: when a waitlist number will be called, when a newly served NTA's first
hearing will be held, when a pending case will be decided — a date range with an 80% interval.

The core (`simulate_days`, `forecast_from_queue`, `forecast_from_slips`) is pure: a Monte
Carlo simulation of a first-come-first-served queue whose daily service is drawn from the
capacity history, with a bootstrap of the history itself so the interval also carries the
uncertainty of estimating capacity from a short past. The helpers other apps call return
None when there is not enough history to say anything honest.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils import formats
from django.utils.translation import gettext as _

LEVEL = 0.8
MIN_HISTORY_DAYS = 14
MIN_SERVED = 10  # fewer people served in the whole history says nothing about the pace
MIN_SLIP_SAMPLES = 30
TRIALS = 400


@dataclass(frozen=True)
class Forecast:
    low: dt.date
    high: dt.date
    median: dt.date
    method: str

    def phrase(self) -> str:
        """'usually between 3 March and 17 April' in the active language."""
        return _("usually between %(low)s and %(high)s") % {
            "low": formats.date_format(self.low, "DATE_FORMAT"),
            "high": formats.date_format(self.high, "DATE_FORMAT"),
        }

    def as_dict(self) -> dict[str, str]:
        return {"low": self.low.isoformat(), "median": self.median.isoformat(),
                "high": self.high.isoformat(), "method": self.method}


def simulate_days(
    ahead: int,
    daily_service: Sequence[int],
    *,
    trials: int = TRIALS,
    seed: int = 0,
    bootstrap_history: bool = True,
) -> np.ndarray | None:
    """Days (1 = tomorrow... 0 = today) until `ahead + 1` people have been served, per trial.

    Each trial first resamples the history (the capacity it believes in), then draws each
    future day's service from that resample. None when the history never served anyone.
    """
    history = np.asarray(list(daily_service), dtype=np.int64)
    if history.size == 0 or history.sum() <= 0 or ahead < 0:
        return None
    rng = np.random.default_rng(seed)
    target = ahead + 1
    mean = float(history.mean())
    horizon = int(math.ceil(target / mean * 2.5)) + 30
    out = np.empty(trials, dtype=np.int64)
    for t in range(trials):
        pool = rng.choice(history, size=history.size) if bootstrap_history else history
        if pool.sum() <= 0:
            pool = history
        h = horizon
        while True:
            cum = np.cumsum(rng.choice(pool, size=h))
            idx = int(np.searchsorted(cum, target))
            if idx < h:
                out[t] = idx
                break
            h *= 2
            if h > 100_000:
                out[t] = h
                break
    return out


def interval_from_days(days: np.ndarray, start: dt.date, method: str,
                       level: float = LEVEL) -> Forecast:
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    # Whole days: round the ends inward so discreteness does not inflate the coverage.
    q_lo, q_med, q_hi = np.quantile(days, [lo_q, 0.5, hi_q])
    lo, med, hi = math.ceil(q_lo - 1e-9), round(q_med), math.floor(q_hi + 1e-9)
    if lo > hi:
        lo = hi = med
    return Forecast(
        low=start + dt.timedelta(days=int(lo)),
        median=start + dt.timedelta(days=int(med)),
        high=start + dt.timedelta(days=int(hi)),
        method=method,
    )


def forecast_from_queue(ahead: int, daily_service: Sequence[int], start: dt.date, *,
                        method: str, seed: int = 0, trials: int = TRIALS) -> Forecast | None:
    """The date range on which the person behind `ahead` others is served, FIFO."""
    if len(daily_service) < MIN_HISTORY_DAYS or sum(daily_service) < MIN_SERVED:
        return None
    days = simulate_days(ahead, daily_service, seed=seed, trials=trials)
    if days is None:
        return None
    return interval_from_days(days, start, method)


def forecast_from_slips(scheduled: dt.date, slips: Sequence[int], *, method: str) -> Forecast:
    """A scheduled date moved by the postponements observed on similar hearings."""
    if len(slips) < MIN_SLIP_SAMPLES:
        return Forecast(low=scheduled, high=scheduled, median=scheduled, method="scheduled")
    arr = np.asarray(slips)
    lo, med, hi = np.quantile(arr, [(1 - LEVEL) / 2, 0.5, 1 - (1 - LEVEL) / 2], method="nearest")
    return Forecast(
        low=scheduled + dt.timedelta(days=max(0, int(lo))),
        median=scheduled + dt.timedelta(days=max(0, int(med))),
        high=scheduled + dt.timedelta(days=max(0, int(hi))),
        method=method,
    )


def daily_series(dates: Sequence[dt.date], start: dt.date, end: dt.date) -> list[int]:
    """Counts per day from start to end inclusive (days with nothing count as 0)."""
    counts: dict[dt.date, int] = {}
    for d in dates:
        counts[d] = counts.get(d, 0) + 1
    n = (end - start).days + 1
    return [counts.get(start + dt.timedelta(days=i), 0) for i in range(max(0, n))]


# Helpers other apps call -------------------------------------------------------------------

def _cached_series(kind: str, court_id: int, today: dt.date, compute: Any) -> list[int]:
    """A court's daily series up to yesterday does not change during the day: compute it
    once per court and day (the status page and the hotline ask for it on every call)."""
    from garita.stats.selectors import _cache

    cache = _cache()
    key = f"stats:forecast:{kind}:{court_id}:{today.isoformat()}"
    value = cache.get(key) if cache is not None else None
    if value is None:
        value = compute()
        if cache is not None:
            cache.set(key, value, timeout=26 * 3600)
    return list(value)


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def forecast_waitlist_number(port_slug: str, number: int, *, persons_ahead: int | None = None,
                             today: dt.date | None = None) -> Forecast | None:
    """When a waitlist number will be called at the port, from the port's daily history of
    persons called (last 90 days). `persons_ahead` is the number of people before this
    number; when omitted it is asked of the waitlist app (`persons_ahead(port, number)`)."""
    from garita.stats.selectors import daily_history

    history = daily_history(port_slug, 90)
    if not history:
        return None
    if persons_ahead is None:
        persons_ahead = _waitlist_persons_ahead(port_slug, number)
        if persons_ahead is None:
            return None
    service = [int(d.persons_called) for d in sorted(history, key=lambda d: d.date)]
    return forecast_from_queue(persons_ahead, service, today or _today(),
                               method="waitlist-queue-bootstrap", seed=number)


def _waitlist_persons_ahead(port_slug: str, number: int) -> int | None:
    try:
        from garita.waitlist import selectors as ws
    except ImportError:
        return None
    fn = getattr(ws, "persons_ahead", None)
    if fn is None:
        return None
    from garita.core.models import Port

    port = Port.objects.filter(slug=port_slug).first()
    if port is None:
        return None
    try:
        value = fn(port, number)
    except Exception:
        return None
    return None if value is None else int(value)


def _court_of(case: Any) -> Any:
    from garita.hearings.models import Court

    first = case.hearings.order_by("noticed_at", "starts_at", "id").first()
    if first is not None:
        return first.court
    return Court.objects.filter(fed_by_ports=case.port_id).order_by("id").first()


HELD = ("held",)


def forecast_first_hearing(case: Any, *, today: dt.date | None = None) -> Forecast | None:
    """When the first hearing of a newly served NTA will be held.

    With a scheduled first hearing: that date moved by the postponements the court's recent
    first hearings had (first scheduled date -> date first held). Without one: the court's
    queue of cases still waiting for a first hearing, served at the pace first hearings
    were held over the last 90 days.
    """
    from django.db.models import Exists, Min, OuterRef, Q

    from garita.hearings.models import Hearing
    from garita.intake.models import Case

    today = today or _today()
    court = _court_of(case)
    if court is None:
        return None
    held = Q(status="held") | ~Q(outcome="")
    if case.hearings.filter(held).exists():
        return None  # the first hearing already happened
    scheduled = case.hearings.filter(status="scheduled").order_by("starts_at").first()
    if scheduled is not None:
        recent = (
            Case.objects.filter(hearings__court=court, hearings__starts_at__date__gte=today
                                - dt.timedelta(days=365))
            .annotate(first_sched=Min("hearings__starts_at"),
                      first_held=Min("hearings__starts_at", filter=Q(hearings__status="held")
                                     | ~Q(hearings__outcome="")))
            .filter(first_held__isnull=False)
            .values_list("first_sched", "first_held")
            .order_by("-id")[:2000]
        )
        slips = [(b.date() - a.date()).days for a, b in recent if a and b]
        return forecast_from_slips(scheduled.starts_at.date(), slips,
                                   method="scheduled-plus-postponements")
    window_start = today - dt.timedelta(days=90)

    def first_hearings_per_day() -> list[int]:
        firsts = (
            Hearing.objects.filter(court=court)
            .filter(held)
            .values("case_id")
            .annotate(first=Min("starts_at"))
            .filter(first__date__gte=window_start, first__date__lt=today)
            .values_list("first", flat=True)
        )
        return daily_series([f.date() for f in firsts], window_start,
                            today - dt.timedelta(days=1))

    service = _cached_series("first-hearings", court.pk, today, first_hearings_per_day)
    waiting = Case.objects.filter(
        Exists(Hearing.objects.filter(case=OuterRef("pk"), court=court)),
        created_at__lt=case.created_at,
    ).exclude(Exists(Hearing.objects.filter(case=OuterRef("pk")).filter(held))).count()
    return forecast_from_queue(waiting, service, today, method="court-queue-bootstrap",
                               seed=case.pk or 0)


PENDING_STATUSES = ("nta_issued", "returned_to_mexico", "in_proceedings")
DECIDED_STATUSES = ("relief_granted", "removal_ordered", "removal_in_absentia", "terminated")


def forecast_decision(case: Any, *, today: dt.date | None = None,
                      refresh: bool = True) -> Forecast | None:
    """When a pending case will be decided: the court's pending cases noticed before this
    one, decided at the pace the court decided cases over the last 180 days (FIFO).

    Both come from the statistics tables (cube and daily decisions), so a forecast costs a
    few indexed queries even over millions of cases; same-month cases are counted pro rata.
    """
    import calendar

    from django.db.models import Sum
    from django.utils import timezone

    from garita.stats.models import CubeCell, DailyDecisions, StatsState
    from garita.stats.services import ensure_fresh, stats_timezone

    if case.status not in PENDING_STATUSES:
        return None
    today = today or _today()
    first = case.hearings.order_by("noticed_at", "starts_at", "id").first()
    court = first.court if first is not None else _court_of(case)
    if court is None:
        return None
    if refresh:
        ensure_fresh()
    elif not StatsState.objects.filter(pk=1, built_at__isnull=False).exists():
        return None  # hot paths (hotline) never build the statistics tables themselves
    window_start = today - dt.timedelta(days=180)
    per_day = dict(
        DailyDecisions.objects.filter(court_id=court.pk, day__gte=window_start, day__lt=today)
        .values_list("day", "decided")
    )
    service = [per_day.get(window_start + dt.timedelta(days=i), 0) for i in range(180)]
    noticed = first.noticed_at if first is not None and first.noticed_at else case.created_at
    local = timezone.localtime(noticed, stats_timezone()).date()
    month = local.replace(day=1)
    pending = CubeCell.objects.filter(court_id=court.pk, outcome="pending")
    earlier = pending.filter(nta_month__lt=month).aggregate(n=Sum("cases"))["n"] or 0
    same = pending.filter(nta_month=month).aggregate(n=Sum("cases"))["n"] or 0
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    ahead = earlier + int(max(0, same - 1) * (local.day - 0.5) / days_in_month)
    return forecast_from_queue(ahead, service, today, method="court-decisions-bootstrap",
                               seed=case.pk or 0)


# The hotline's hot path ---------------------------------------------------------------------

# A court's decision pace (daily decisions up to yesterday) and its pending cases per NTA
# month are the same for every case of that court all day long; the statistics tables
# behind them are rebuilt in batch. Keep them in process memory for a few minutes per
# court and day, and the simulated interval per (court, day, people ahead): a look-up then
# costs no query and no simulation for the forecast. Only this courtesy estimate is cached;
# hearing dates and places are always read fresh.
HOT_CACHE_SECONDS = 600.0
_HOT_MAX_ENTRIES = 20_000
_hot: dict[tuple[Any, ...], tuple[float, Any]] = {}


def clear_hot_cache() -> None:
    _hot.clear()


def _hot_get(key: tuple[Any, ...], compute: Any) -> Any:
    import time

    now = time.monotonic()
    hit = _hot.get(key)
    if hit is not None and now - hit[0] < HOT_CACHE_SECONDS:
        return hit[1]
    value = compute()
    if len(_hot) >= _HOT_MAX_ENTRIES:
        _hot.clear()
    _hot[key] = (now, value)
    return value


def _court_queue_inputs(court_id: int, today: dt.date) -> tuple[list[int], dict[Any, int]] | None:
    """(decisions per day over the last 180 days, pending cases per NTA month) or None
    when the statistics tables were never built (hot paths never build them)."""
    from django.db.models import Sum

    from garita.stats.models import CubeCell, DailyDecisions, StatsState

    if not StatsState.objects.filter(pk=1, built_at__isnull=False).exists():
        return None
    window_start = today - dt.timedelta(days=180)
    per_day = dict(
        DailyDecisions.objects.filter(court_id=court_id, day__gte=window_start, day__lt=today)
        .values_list("day", "decided")
    )
    service = [per_day.get(window_start + dt.timedelta(days=i), 0) for i in range(180)]
    pending = dict(
        CubeCell.objects.filter(court_id=court_id, outcome="pending")
        .values("nta_month").annotate(n=Sum("cases")).values_list("nta_month", "n")
    )
    return service, pending


def forecast_decision_for_court(*, court_id: int | None, noticed_at: dt.datetime, status: str,
                                today: dt.date | None = None) -> Forecast | None:
    """forecast_decision() from what a look-up already read (the court of the case's first
    hearing and when its notice was served), served from a per-court, per-day cache.

    The same queue model as forecast_decision; the simulation is seeded by the number of
    people ahead instead of the case id, so every case in the same place in the same queue
    gets the same interval (and it can be cached).
    """
    import calendar

    from django.utils import timezone

    from garita.stats.services import stats_timezone

    if status not in PENDING_STATUSES or court_id is None:
        return None
    today = today or _today()
    inputs = _hot_get(("inputs", court_id, today), lambda: _court_queue_inputs(court_id, today))
    if inputs is None:
        return None
    service, pending = inputs
    local = timezone.localtime(noticed_at, stats_timezone()).date()
    month = local.replace(day=1)
    earlier = sum(n or 0 for m, n in pending.items() if m is not None and m < month)
    same = pending.get(month) or 0
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    ahead = earlier + int(max(0, same - 1) * (local.day - 0.5) / days_in_month)
    return _hot_get(("forecast", court_id, today, ahead), lambda: forecast_from_queue(
        ahead, service, today, method="court-decisions-bootstrap", seed=ahead))


def court_fed_by_port(port_id: int) -> int | None:
    """The court a port sends its cases to (the first by id), cached like the inputs."""
    from garita.hearings.models import Court

    def compute() -> int | None:
        return Court.objects.filter(fed_by_ports=port_id).order_by("id").values_list(
            "id", flat=True).first()

    return _hot_get(("court-of-port", port_id), compute)
