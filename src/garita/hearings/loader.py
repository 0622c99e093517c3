"""Loads the scheduler's world from the database: sessions, port rules, interpreters, usage.

Read-only; the pure rules are in hearings.domain. Kept apart from services so the CLI,
the benchmark and the reschedule all build the same in-memory picture the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection

from django.db.models import Count
from django.utils import timezone

from garita.hearings import domain
from garita.hearings.models import (
    CasePriorityFlag,
    CourtSession,
    EarlyHearingWaiver,
    Hearing,
    HearingStatus,
    InterpreterAvailability,
    PortHearingSettings,
    SchedulingPolicy,
)
from garita.intake.models import Case, CaseStatus, FamilyType


def port_rules() -> dict[int, domain.PortRule]:
    out = {}
    for ps in PortHearingSettings.objects.select_related("port"):
        out[ps.port_id] = domain.PortRule(
            port_id=ps.port_id, court_id=ps.court_id, location_id=ps.location_id,
            tz=ps.port.timezone, report_lead=dt.timedelta(minutes=ps.report_lead_minutes),
            escort_capacity=ps.escort_capacity,
        )
    return out


def interpreter_lookup(court_ids: Collection[int] | None = None) -> domain.InterpreterLookup:
    qs = InterpreterAvailability.objects.all()
    if court_ids is not None:
        qs = qs.filter(court_id__in=list(court_ids))
    rows = qs.values_list("court_id", "language", "mode", "date", "weekdays", "available")
    return domain.interpreter_table(list(rows))


def slots(*, since: dt.datetime, court_ids: Collection[int] | None = None,
          until: dt.datetime | None = None) -> list[domain.Slot]:
    qs = CourtSession.objects.filter(cancelled=False, starts_at__gte=since)
    if until is not None:
        qs = qs.filter(starts_at__lt=until)
    if court_ids is not None:
        qs = qs.filter(location__court_id__in=list(court_ids))
    out = []
    for sid, court_id, loc_id, judge_id, starts_at, cal, cap, ltz, ctz in qs.values_list(
        "id", "location__court_id", "location_id", "judge_id", "starts_at", "calendar",
        "capacity", "location__timezone", "location__court__timezone",
    ):
        out.append(domain.Slot(id=sid, court_id=court_id, location_id=loc_id, judge_id=judge_id,
                               starts_at=starts_at, tz=ltz or ctz, calendar=cal, capacity=cap))
    return out


def usage(*, since: dt.datetime,
          exclude: Collection[tuple[int | None, int | None, dt.datetime | None]] = (),
          ports: dict[int, domain.PortRule] | None = None
          ) -> tuple[dict[int, int], dict[tuple[int, dt.date], int]]:
    """Seats taken per session and escorts booked per (port, local morning), counted in SQL;
    `exclude` lists (session, report port, report time) of hearings about to move."""
    qs = Hearing.objects.filter(status=HearingStatus.SCHEDULED, starts_at__gte=since)
    used: dict[int, int] = defaultdict(int)
    escort: dict[tuple[int, dt.date], int] = defaultdict(int)
    tzs = {pid: p.tz for pid, p in (ports or port_rules()).items()}
    for sid, n in qs.filter(session__isnull=False).values_list("session_id").annotate(
            n=Count("id")).order_by():
        used[sid] += n
    per_report: dict[tuple[int, dt.datetime], int] = defaultdict(int)
    for pid, rep, n in qs.filter(report_port__isnull=False, report_at__isnull=False
                                 ).values_list("report_port_id", "report_at").annotate(
            n=Count("id")).order_by():
        per_report[(pid, rep)] += n
    for sid, pid, rep in exclude:
        if sid is not None:
            used[sid] -= 1
        if pid is not None and rep is not None:
            per_report[(pid, rep)] -= 1
    for (pid, rep), n in per_report.items():
        escort[(pid, rep.astimezone(domain.zone(tzs.get(pid, "UTC"))).date())] += n
    return used, escort


def build_scheduler(*, since: dt.datetime | None = None, court_ids: Collection[int] | None = None,
                    exclude: Collection[tuple[int | None, int | None, dt.datetime | None]] = ()
                    ) -> domain.Scheduler:
    since = since or timezone.now()
    ports = port_rules()
    used, escort = usage(since=since, exclude=exclude, ports=ports)
    return domain.Scheduler(
        slots(since=since, court_ids=court_ids), ports, interpreter_lookup(court_ids),
        used=used, escort_used=escort,
    )


SCHEDULABLE = (CaseStatus.AMENABLE, CaseStatus.NOT_AMENABLE, CaseStatus.NTA_ISSUED,
               CaseStatus.RETURNED_TO_MEXICO)


def priorities(case_ids: Collection[int]) -> dict[int, int]:
    order = SchedulingPolicy.current().priority_flags or []
    rank = {flag: i for i, flag in enumerate(order)}
    out: dict[int, int] = {}
    qs = CasePriorityFlag.objects.all()
    if len(case_ids) < 5000:
        qs = qs.filter(case_id__in=list(case_ids))
    for cid, flag in qs.values_list("case_id", "flag"):
        if flag in rank:
            out[cid] = min(out.get(cid, len(order)), rank[flag])
    return {cid: out.get(cid, len(order)) for cid in case_ids}


def requests_for(case_ids: Collection[int] | None = None, *, served_at: dt.datetime | None = None,
                 calendar: str = "master") -> list[domain.Request]:
    """Scheduler requests for cases without a scheduled hearing (all such cases if None)."""
    now = served_at or timezone.now()
    qs = Case.objects.filter(status__in=SCHEDULABLE).exclude(
        hearings__status=HearingStatus.SCHEDULED
    )
    if case_ids is not None:
        qs = qs.filter(pk__in=list(case_ids))
    from garita.hearings.bulk import parse_json, raw_rows

    rows = raw_rows(qs.order_by("person__encounter__occurred_at", "id").values_list(
        "id", "port_id", "person__languages", "person__encounter_id",
        "person__encounter__family_type", "status",
    ))
    ids = [r[0] for r in rows]
    waivers = set(EarlyHearingWaiver.objects.filter(case_id__in=ids).values_list(
        "case_id", flat=True)) if len(ids) < 5000 else set(
        EarlyHearingWaiver.objects.values_list("case_id", flat=True))
    prio = priorities(ids)
    out = []
    for cid, port_id, langs, enc_id, ftype, status in rows:
        langs = parse_json(langs)
        out.append(domain.Request(
            case_id=cid, port_id=port_id, language=(langs or ["spa"])[0], served_at=now,
            family_key=f"e{enc_id}" if ftype == FamilyType.FAMILY_UNIT else "",
            waiver=cid in waivers, priority=prio.get(cid, 0),
            needs_escort=status != CaseStatus.NOT_AMENABLE, calendar=calendar,
        ))
    return out


def family_sessions(family_keys: Collection[str]) -> dict[str, int]:
    """Sessions where a family already has a scheduled hearing (members must join it)."""
    out: dict[str, int] = {}
    if not family_keys:
        return out
    for key, sid in Hearing.objects.filter(
        status=HearingStatus.SCHEDULED, family_key__in=list(family_keys)[:5000],
        session__isnull=False,
    ).values_list("family_key", "session_id"):
        out[key] = sid
    return out


def session_counts(session_ids: Collection[int]) -> dict[int, int]:
    return dict(
        Hearing.objects.filter(session_id__in=list(session_ids), status=HearingStatus.SCHEDULED)
        .values("session_id").annotate(n=Count("id")).values_list("session_id", "n")
    )
