"""Writes of the stats app: rebuild the cube from cases and hearings, and the change hook
other services call (`note_change`) so cached figures never outlive the data they came from.

The cube is rebuilt wholesale in one INSERT ... SELECT (aggregation in SQL, no rows through
Python) inside a transaction, so readers see the old cube or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case as CaseExpr
from django.db.models import (
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from garita.stats.models import CubeCell, DailyDecisions, StatsState

# Case.status -> the outcome reported in the statistics.
STATUS_OUTCOME = {
    "relief_granted": "relief_granted",
    "removal_ordered": "removal_in_person",
    "removal_in_absentia": "removal_in_absentia",
    "terminated": "terminated",
    "removed_from_mpp": "off_mpp",
}
DECIDED_STATUSES = tuple(STATUS_OUTCOME)
# Hearing outcomes that mean the person was not in court.
MISSED_OUTCOMES = ("did_not_appear", "removal_in_absentia")


def stats_timezone() -> ZoneInfo:
    """Months are calendar months in this zone (the install's TIME_ZONE)."""
    return ZoneInfo(getattr(settings, "GARITA_STATS_TIME_ZONE", settings.TIME_ZONE))


CUBE_COLUMNS = (
    "port_id", "court_id", "location_id", "nationality", "represented", "outcome", "nta_month",
    "decision_month", "cases", "heard", "missed", "nta_known", "sum_nta_day", "sum_decided_day",
)


def case_rows_query():  # type: ignore[no-untyped-def]
    """One row per MPP court case (a case with at least one hearing): its dimensions and
    flags, before any aggregation. Court, location and NTA date come from the first hearing
    noticed (the NTA that put the case in court)."""
    from garita.hearings.models import Hearing
    from garita.intake.models import Appearance, Case

    hearings = Hearing.objects.filter(case=OuterRef("pk"))
    first = hearings.order_by(F("noticed_at").asc(nulls_last=True), "starts_at", "id")
    outcome = CaseExpr(
        *[When(status=s, then=Value(o)) for s, o in STATUS_OUTCOME.items()],
        default=Value("pending"),
    )
    flag = {"default": Value(0), "output_field": IntegerField()}
    return (
        Case.objects.filter(Exists(hearings))
        .annotate(
            s_court=Subquery(first.values("court_id")[:1]),
            s_location=Subquery(first.values("location_id")[:1]),
            s_nta_at=Subquery(first.values("noticed_at")[:1]),
            s_represented=Exists(Appearance.objects.filter(case=OuterRef("pk"))),
            s_outcome=outcome,
            s_decided=CaseExpr(When(status__in=DECIDED_STATUSES, then=Value(1)), **flag),
            s_heard=CaseExpr(When(Exists(hearings.filter(Q(status="held") | ~Q(outcome=""))),
                                  then=Value(1)), **flag),
            s_missed=CaseExpr(When(Exists(hearings.filter(outcome__in=MISSED_OUTCOMES)),
                                   then=Value(1)), **flag),
        )
        .values_list(
            "port_id", "s_court", "s_location", "person__nationality", "s_represented",
            "s_outcome", "s_decided", "s_heard", "s_missed", "s_nta_at", "status_changed_at",
        )
        .order_by()
    )


def _dialect() -> tuple[str, str]:
    """(month of a UTC datetime column `{c}` in the stats zone, whole UTC days since 1970)."""
    if connection.vendor == "postgresql":
        return ("CAST(DATE_TRUNC('month', {c} AT TIME ZONE %s) AS DATE)",
                "CAST(FLOOR(EXTRACT(EPOCH FROM {c}) / 86400) AS BIGINT)")
    if connection.vendor == "sqlite":
        # django_date_trunc is the function Django registers on every SQLite connection.
        return ("django_date_trunc('month', {c}, %s, 'UTC')",
                "CAST(julianday({c}) - 2440587.5 AS INTEGER)")
    raise NotImplementedError(f"statistics do not support {connection.vendor}")


def _local_day() -> str:
    if connection.vendor == "postgresql":
        return "CAST({c} AT TIME ZONE %s AS DATE)"
    return "django_datetime_cast_date({c}, %s, 'UTC')"


DAILY_WINDOW_DAYS = 400
COMPLETED_STATUSES = ("relief_granted", "removal_ordered", "removal_in_absentia", "terminated")


def daily_decisions_insert_sql() -> tuple[str, list[Any]]:
    """INSERT the completed cases per court (of the first hearing) and local day."""
    from garita.hearings.models import Hearing
    from garita.intake.models import Case

    since = timezone.now() - dt.timedelta(days=DAILY_WINDOW_DAYS)
    first = Hearing.objects.filter(case=OuterRef("pk")).order_by(
        F("noticed_at").asc(nulls_last=True), "starts_at", "id")
    inner, params = (
        Case.objects.filter(status__in=COMPLETED_STATUSES, status_changed_at__gte=since)
        .annotate(s_court=Subquery(first.values("court_id")[:1]))
        .values_list("s_court", "status_changed_at")
        .order_by()
        .query.sql_with_params()
    )
    qn = connection.ops.quote_name
    day = _local_day().format(c="changed_at")
    sql = f"""
INSERT INTO {qn(DailyDecisions._meta.db_table)} ({qn("court_id")}, {qn("day")}, {qn("decided")})
WITH base (court_id, changed_at) AS ({inner})
SELECT court_id, {day}, COUNT(*) FROM base GROUP BY court_id, {day}
"""
    return sql, [*params, stats_timezone().key, stats_timezone().key]


def cube_insert_sql() -> tuple[str, list[Any]]:
    """INSERT INTO the cube the aggregate of case_rows_query: per-case values are computed
    once (materialized CTEs), then summed in SQL."""
    inner, inner_params = case_rows_query().query.sql_with_params()
    month, epoch = _dialect()
    tz = stats_timezone().key
    qn = connection.ops.quote_name
    table = qn(CubeCell._meta.db_table)
    cols = ", ".join(qn(c) for c in CUBE_COLUMNS)
    base_cols = ("port_id, court_id, location_id, nationality, represented, outcome, decided, "
                 "heard, missed, nta_at, changed_at")
    sql = f"""
INSERT INTO {table} ({cols})
WITH base ({base_cols}) AS MATERIALIZED ({inner}),
d AS MATERIALIZED (
  SELECT port_id, court_id, location_id, nationality, represented, outcome, decided, heard,
         missed,
         {month.format(c="nta_at")} AS nta_month,
         CASE WHEN decided = 1 THEN {month.format(c="changed_at")} END AS decision_month,
         CASE WHEN nta_at IS NOT NULL AND (decided = 0 OR changed_at IS NOT NULL)
              THEN 1 ELSE 0 END AS known,
         {epoch.format(c="nta_at")} AS nta_day,
         {epoch.format(c="changed_at")} AS decided_day
  FROM base
)
SELECT port_id, court_id, location_id, nationality, represented, outcome, nta_month,
       decision_month, COUNT(*), SUM(heard), SUM(missed), SUM(known),
       COALESCE(SUM(CASE WHEN known = 1 THEN nta_day ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN known = 1 AND decided = 1 THEN decided_day ELSE 0 END), 0)
FROM d
GROUP BY port_id, court_id, location_id, nationality, represented, outcome, nta_month,
         decision_month
"""
    return sql, [*inner_params, tz, tz]


def _state() -> StatsState:
    state, _ = StatsState.objects.get_or_create(pk=1)
    return state


@transaction.atomic
def rebuild_cube() -> StatsState:
    """Recompute every cube cell from the cases and hearings, in SQL."""
    started = time.perf_counter()
    state = StatsState.objects.select_for_update().filter(pk=1).first() or _state()
    version = state.version
    sql, params = cube_insert_sql()
    daily_sql, daily_params = daily_decisions_insert_sql()
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {qn(CubeCell._meta.db_table)}")
        cur.execute(sql, params)
        cur.execute(f"DELETE FROM {qn(DailyDecisions._meta.db_table)}")
        cur.execute(daily_sql, daily_params)
    state.built_version = version
    state.built_at = timezone.now()
    state.build_seconds = time.perf_counter() - started
    state.save()
    return state


def note_change(case_ids: object = None) -> None:
    """Call after any write that changes cases, hearings, outcomes or representation.

    Cheap (one UPDATE): it only bumps the version; the cube is rebuilt by `ensure_fresh`
    (at most every GARITA_STATS_REFRESH_SECONDS) or by `garita stats_refresh`.
    `case_ids` is accepted for a future incremental rebuild and ignored today.
    """
    if not StatsState.objects.filter(pk=1).update(version=F("version") + 1):
        StatsState.objects.get_or_create(pk=1, defaults={"version": 1})


def ensure_fresh(*, now: dt.datetime | None = None) -> StatsState:
    """Rebuild the cube when it was never built, or when it is behind the data and older
    than the refresh interval (so a burst of writes costs one rebuild, not one per write)."""
    state = _state()
    now = now or timezone.now()
    interval = float(getattr(settings, "GARITA_STATS_REFRESH_SECONDS", 300))
    if state.built_at is None:
        return rebuild_cube()
    behind = state.version > state.built_version
    if behind and (now - state.built_at).total_seconds() >= interval:
        return rebuild_cube()
    return state
