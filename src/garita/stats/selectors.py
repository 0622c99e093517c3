"""Reads of the stats app: parse a statistics query, aggregate the cube in SQL, protect it
(garita.stats.domain.build_table), and cache the result keyed by the cube's build.

Invariants: every figure leaving this module went through disclosure control; a cached
result is keyed by the cube build it came from, so a rebuild invalidates every cached page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.db.models import Case as CaseExpr
from django.db.models import F, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from garita.core.errors import DomainError
from garita.stats import domain
from garita.stats.domain import Group, Measures, Table, build_table, measures_of
from garita.stats.models import CubeCell, StatsState
from garita.stats.services import ensure_fresh

log = logging.getLogger(__name__)

# Dimension -> cube column. Order is the order of the menu.
DIMENSIONS: dict[str, str] = {
    "court": "court_id",
    "location": "location_id",
    "port": "port_id",
    "nationality": "nationality",
    "representation": "represented",
    "outcome": "outcome",
    "nta_month": "nta_month",
    "decision_month": "decision_month",
}
DIMENSION_LABELS = {
    "court": _("Immigration court"),
    "location": _("Hearing location"),
    "port": _("Port of entry"),
    "nationality": _("Nationality"),
    "representation": _("Representation"),
    "outcome": _("Outcome"),
    "nta_month": _("Month of the Notice to Appear"),
    "decision_month": _("Month of the decision"),
}
# Drill-down: clicking a row adds it as a filter and groups by the next dimension.
DRILL_NEXT = {
    "court": "location", "location": "nationality", "port": "court",
    "nationality": "outcome", "representation": "outcome", "outcome": "nationality",
    "nta_month": "outcome", "decision_month": "outcome",
}
OUTCOME_LABELS = {
    "relief_granted": _("Relief granted"),
    "removal_in_person": _("Removal ordered (in person)"),
    "removal_in_absentia": _("Removal ordered in absentia"),
    "terminated": _("Proceedings terminated"),
    "off_mpp": _("Taken off MPP"),
    "pending": _("Pending"),
}
MEASURE_LABELS = {
    "cases": _("Cases"),
    **OUTCOME_LABELS,
    "completed": _("Completed (decided)"),
    "represented": _("Represented"),
    "not_represented": _("Not represented"),
    "heard": _("With a hearing held or missed"),
    "not_heard": _("No hearing held yet"),
    "missed": _("Missed a hearing"),
    "not_missed": _("Missed no hearing"),
}
RATE_LABELS = {
    "grant_rate": _("Grant rate"),
    "absentia_rate": _("In-absentia rate"),
    "representation_rate": _("Representation rate"),
    "missed_rate": _("Missed a hearing"),
}


@dataclass(frozen=True)
class StatsQuery:
    group_by: str = "court"
    filters: tuple[tuple[str, Any], ...] = ()

    def cache_key(self) -> str:
        raw = json.dumps([self.group_by, [[k, str(v)] for k, v in self.filters]])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:7] + "-01")
    except ValueError as exc:
        raise DomainError("stats.bad_filter", _("A month is written YYYY-MM."),
                          field="month") from exc


def parse_query(params: Mapping[str, str]) -> StatsQuery:
    """A StatsQuery from request parameters; unknown values are refused with stable codes."""
    group_by = (params.get("group_by") or "court").strip()
    if group_by not in DIMENSIONS:
        raise DomainError("stats.bad_dimension", _("Unknown dimension."), field="group_by")
    filters: list[tuple[str, Any]] = []
    for dim in DIMENSIONS:
        raw = (params.get(dim) or "").strip()
        if not raw:
            continue
        filters.append((dim, _parse_value(dim, raw)))
    if len(filters) > domain.MAX_FILTERS:
        raise DomainError(
            "stats.too_many_filters",
            _("Choose at most %(n)d filters at once.") % {"n": domain.MAX_FILTERS},
            field="filters",
        )
    return StatsQuery(group_by=group_by, filters=tuple(filters))


def _parse_value(dim: str, raw: str) -> Any:
    from garita.core.models import Port
    from garita.hearings.models import Court, HearingLocation

    bad = DomainError("stats.bad_filter", _("Unknown value for this filter."), field=dim)
    if dim == "court":
        court = Court.objects.filter(slug=raw).values_list("id", flat=True).first()
        if court is None:
            raise bad
        return court
    if dim == "port":
        port = Port.objects.filter(slug=raw).values_list("id", flat=True).first()
        if port is None:
            raise bad
        return port
    if dim == "location":
        if not raw.isdigit() or not HearingLocation.objects.filter(pk=int(raw)).exists():
            raise bad
        return int(raw)
    if dim == "nationality":
        if len(raw) != 3 or not raw.isalpha():
            raise bad
        return raw.upper()
    if dim == "representation":
        if raw not in ("yes", "no"):
            raise bad
        return raw == "yes"
    if dim == "outcome":
        if raw not in domain.OUTCOMES:
            raise bad
        return raw
    return _month(raw)


def _condition(dim: str, value: Any) -> Q:
    return Q(**{DIMENSIONS[dim]: value})


def aggregate_cube(query: StatsQuery) -> dict[tuple[Any, tuple[bool, ...]], Measures]:
    """One GROUP BY over the cube: by the row dimension, each filter's match flag, outcome
    and representation (the whole population: ancestors of the query are needed)."""
    row_col = DIMENSIONS[query.group_by]
    flags = {
        f"f{i}": CaseExpr(When(_condition(d, v), then=Value(1)), default=Value(0),
                          output_field=IntegerField())
        for i, (d, v) in enumerate(query.filters)
    }
    qs = (
        CubeCell.objects.annotate(row=F(row_col), **flags)
        .values("row", *flags, "outcome", "represented")
        .annotate(
            n=Sum("cases"), h=Sum("heard"), m=Sum("missed"), k=Sum("nta_known"),
            sn=Sum("sum_nta_day"), sd=Sum("sum_decided_day"),
        )
        .order_by()
    )
    groups: dict[tuple[Any, tuple[bool, ...]], list[Group]] = {}
    for rec in qs:
        key = (rec["row"], tuple(bool(rec[f]) for f in flags))
        groups.setdefault(key, []).append(
            Group(outcome=rec["outcome"], represented=bool(rec["represented"]), cases=rec["n"],
                  heard=rec["h"] or 0, missed=rec["m"] or 0, nta_known=rec["k"] or 0,
                  sum_nta_day=rec["sn"] or 0, sum_decided_day=rec["sd"] or 0)
        )
    return {k: measures_of(v) for k, v in groups.items()}


@dataclass
class StatsResult:
    query: StatsQuery
    table: Table
    built_at: dt.datetime | None
    today_day: int
    labels: dict[Any, str] = field(default_factory=dict)


def _cache():  # type: ignore[no-untyped-def]
    """The cache, or None when its database table is missing (e.g. a fresh test database)."""
    cache = caches["default"]
    location = getattr(cache, "_table", None)
    if location is not None and location not in connection.introspection.table_names():
        return None
    return cache


def statistics(query: StatsQuery) -> StatsResult:
    """The protected table for a query, from the cache when this cube build already
    answered it."""
    state: StatsState = ensure_fresh()
    key = f"stats:v1:{state.built_version}:{state.built_at and state.built_at.timestamp()}:" \
          f"{query.cache_key()}"
    cache = _cache()
    table = cache.get(key) if cache is not None else None
    if table is None:
        table = build_table(aggregate_cube(query), len(query.filters))
        if cache is not None:
            cache.set(key, table, timeout=24 * 3600)
    today = timezone.localdate()
    return StatsResult(
        query=query, table=table, built_at=state.built_at,
        today_day=(today - dt.date(1970, 1, 1)).days,
        labels=value_labels(query.group_by, [r.key for r in table.rows]),
    )


def value_labels(dim: str, values: list[Any]) -> dict[Any, str]:
    """Human labels for the values of a dimension (names of courts, months, outcomes)."""
    from garita.core.models import Port
    from garita.hearings.models import Court, HearingLocation

    ids = [v for v in values if v]
    names: dict[Any, str]
    if dim == "court":
        names = dict(Court.objects.filter(pk__in=ids).values_list("id", "name"))
    elif dim == "location":
        names = dict(HearingLocation.objects.filter(pk__in=ids).values_list("id", "name"))
    elif dim == "port":
        names = dict(Port.objects.filter(pk__in=ids).values_list("id", "name"))
    elif dim == "outcome":
        names = {k: str(v) for k, v in OUTCOME_LABELS.items()}
    elif dim == "representation":
        names = {True: str(_("Represented")), False: str(_("Not represented"))}
    elif dim in ("nta_month", "decision_month"):
        names = {v: v.strftime("%Y-%m") for v in values if v}
    else:
        names = {v: v for v in values if v}
    unknown = str(_("Not decided")) if dim == "decision_month" else str(_("Unknown"))
    return {v: str(names.get(v, unknown)) if v is not None else unknown for v in values}


def filter_param(dim: str, value: Any) -> str:
    """The URL parameter value that selects `value` of `dim` (inverse of _parse_value)."""
    from garita.core.models import Port
    from garita.hearings.models import Court

    if dim == "court":
        return Court.objects.filter(pk=value).values_list("slug", flat=True).first() or ""
    if dim == "port":
        return Port.objects.filter(pk=value).values_list("slug", flat=True).first() or ""
    if dim == "representation":
        return "yes" if value else "no"
    if dim in ("nta_month", "decision_month"):
        return value.strftime("%Y-%m") if value else ""
    return "" if value is None else str(value)


# Waitlist ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitlistFigures:
    port_slug: str
    port_name: str
    available: bool
    days: int = 0
    persons_waiting: int | None = None
    processed_per_day: float | None = None
    capacity_per_day: float | None = None
    wait_days: int | None = None
    series: tuple[tuple[dt.date, int | None, int | None], ...] = ()


def daily_history(port_slug: str, days: int) -> list[Any] | None:
    """The waitlist's daily history, or None when the waitlist app does not provide it."""
    try:
        from garita.waitlist import selectors as waitlist_selectors
    except ImportError:
        return None
    fn = getattr(waitlist_selectors, "daily_history", None)
    if fn is None:
        return None
    from garita.core.models import Port

    port = Port.objects.filter(slug=port_slug).first()
    if port is None:
        return None
    # The contract names the port; accept either a Port or its slug on the waitlist side.
    for arg in (port, port.slug):
        try:
            return list(fn(arg, days))
        except Exception:  # a waitlist failure must not take the statistics page down
            log.warning("waitlist daily_history(%r) failed", arg, exc_info=True)
    return None


def _has_activity(day: Any) -> bool:
    return any(getattr(day, name, 0) for name in (
        "capacity_persons", "persons_called", "persons_present", "persons_waiting"))


def waitlist_figures_from(port_slug: str, port_name: str, history: list[Any] | None,
                          *, window: int = 30) -> WaitlistFigures:
    """People waiting, processed per day and length of wait from a daily history (pure:
    `history` holds DayStat-like objects, oldest first)."""
    if not history or not any(_has_activity(d) for d in history):
        # The waitlist gives a row for every day, zeros included: a port that has never
        # registered, called or set a capacity has no figures to show, only zeros.
        return WaitlistFigures(port_slug=port_slug, port_name=port_name, available=False)
    history = sorted(history, key=lambda d: d.date)
    recent = history[-window:]
    processed = sum(d.persons_present for d in recent) / len(recent)
    capacity = sum(d.capacity_persons for d in recent) / len(recent)
    waiting_raw = history[-1].persons_waiting
    wait = domain.wait_days_from_history(waiting_raw, processed)
    series = tuple(
        (d.date, domain.protect_count(d.persons_waiting), domain.protect_count(d.persons_present))
        for d in history
    )
    return WaitlistFigures(
        port_slug=port_slug, port_name=port_name, available=True, days=len(history),
        persons_waiting=domain.protect_count(waiting_raw),
        processed_per_day=round(processed, 1), capacity_per_day=round(capacity, 1),
        wait_days=wait, series=series,
    )


def waitlist_statistics(days: int = 90) -> list[WaitlistFigures]:
    from garita.core.models import Port

    out = []
    for port in Port.objects.filter(active=True).order_by("name"):
        out.append(waitlist_figures_from(port.slug, port.name, daily_history(port.slug, days)))
    return out


# Presentation records shared by the page, the JSON API and the CSV -------------------------

TABLE_COUNTS = (
    "cases", "pending", "completed", "relief_granted", "removal_in_person",
    "removal_in_absentia", "terminated", "off_mpp", "represented", "heard", "missed",
)


def row_record(row: Any, label: str, today_day: int) -> dict[str, Any]:
    return {
        "label": label,
        "counts": {name: row.count(name) for name in TABLE_COUNTS},
        "rates": {name: row.rate(name) for name in domain.RATES},
        "avg_days_waiting": row.avg_days_waiting(today_day),
        "avg_days_to_decision": row.avg_days_to_decision(),
    }


def result_records(result: StatsResult) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(rows, total) as plain dicts; a hidden figure is None."""
    rows = []
    for r in result.table.rows:
        rec = row_record(r, result.labels.get(r.key, str(r.key)), result.today_day)
        rec["key"] = filter_param(result.query.group_by, r.key) if r.key is not None else ""
        rows.append(rec)
    total = row_record(result.table.total, pgettext("every value", "All"), result.today_day)
    return rows, total
