"""Reads of hearings: a case's whole history, a session's docket, the clerk's queue, export.

Case-level reads go through intake.selectors.case_get_for (need-to-know scoping); times
are returned in UTC and shown in the court's or port's own time zone.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import require
from garita.accounts.roles import Permission
from garita.core.errors import NotFound
from garita.hearings.domain import zone
from garita.hearings.models import (
    CourtSession,
    EscortRun,
    Hearing,
    HearingChange,
    HearingStatus,
)
from garita.intake.models import Case
from garita.intake.selectors import case_get_for, cases_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Booked(TypedDict):
        booked: int  # its scheduled hearings

    # A court session annotated with how many hearings it holds (sessions_list).
    BookedSession = WithAnnotations[CourtSession, _Booked]

EXPORT_COLUMNS = ["a_number", "family_unit", "language", "served_at", "hearing_at", "court",
                  "location", "session", "calendar", "judge", "interpreter", "report_at", "port"]


def local_iso(value: dt.datetime | None, tz_name: str) -> str:
    return value.astimezone(zone(tz_name)).isoformat() if value else ""


def export_rows(*, court_slug: str | None = None) -> Iterator[dict[str, str]]:
    qs = Hearing.objects.filter(status=HearingStatus.SCHEDULED)
    if court_slug:
        qs = qs.filter(court__slug=court_slug)
    for row in qs.order_by("starts_at", "id").values_list(
        "case__a_number", "family_key", "language", "served_at", "starts_at", "court__slug",
        "location__name", "session_id", "calendar", "session__judge__name", "interpreter_mode",
        "report_at", "report_port__slug", "report_port__timezone", "location__timezone",
        "court__timezone", "case__port__timezone",
    ).iterator(chunk_size=5000):
        (a_number, family, lang, served, starts, court, loc, session, cal, judge, interp,
         report, port, port_tz, loc_tz, court_tz, case_port_tz) = row
        tz = loc_tz or court_tz
        yield {
            "a_number": a_number, "family_unit": family, "language": lang,
            "served_at": local_iso(served, case_port_tz), "hearing_at": local_iso(starts, tz),
            "court": court, "location": loc, "session": str(session or ""), "calendar": cal,
            "judge": judge or "", "interpreter": interp,
            "report_at": local_iso(report, port_tz or case_port_tz), "port": port or "",
        }


def write_csv(rows: Iterable[dict[str, str]], out: IO[str]) -> int:
    w = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    w.writeheader()
    n = 0
    for row in rows:
        w.writerow(row)
        n += 1
    return n


def case_history(actor: Any, *, a_number: str) -> dict[str, Any]:
    """Everything that happened to a case's hearings: hearings, changes, notices, check-ins,
    escorts and outcomes, oldest first."""
    case = case_get_for(actor, a_number=a_number)
    hearings = list(
        Hearing.objects.filter(case=case)
        .select_related("court", "location__court", "session__judge", "report_port",
                        "escort_run", "checked_in_by", "outcome_by")
        .order_by("starts_at", "id")
    )
    from garita.notices.models import Notice

    notices = list(Notice.objects.filter(case=case).defer("pdf")
                   .select_related("issued_by", "served_by").order_by("issued_at", "id"))
    changes = list(HearingChange.objects.filter(hearing__case=case)
                   .select_related("batch").order_by("changed_at"))
    return {"case": case, "hearings": hearings, "notices": notices, "changes": changes}


def current_hearing(case: Case) -> Hearing | None:
    return (case.hearings.filter(status=HearingStatus.SCHEDULED)
            .select_related("location__court", "court", "report_port")
            .order_by("starts_at").first())


def session_docket(actor: Any, *, session_id: int) -> tuple[CourtSession, list[Hearing]]:
    require(actor, Permission.CASE_VIEW)
    session = (CourtSession.objects.select_related("location__court", "judge")
               .filter(pk=session_id).first())
    if session is None:  # an unknown session id is a 404, not a server error
        raise NotFound("session.not_found", _("There is no court session with that id."))
    visible = cases_visible_to(actor)
    hearings = list(
        Hearing.objects.filter(session=session, case__in=visible)
        .select_related("case__person", "report_port", "escort_run")
        .order_by("family_key", "case__a_number")
    )
    return session, hearings


def sessions_list(actor: Any, *, court_slug: str | None = None, date_from: dt.datetime | None
                  = None, date_to: dt.datetime | None = None, limit: int = 200
                  ) -> QuerySet[BookedSession]:
    require(actor, Permission.CASE_VIEW)
    qs = CourtSession.objects.select_related("location__court", "judge").annotate(
        booked=Count("hearings", filter=Q(hearings__status=HearingStatus.SCHEDULED)))
    if court_slug:
        qs = qs.filter(location__court__slug=court_slug)
    if date_from:
        qs = qs.filter(starts_at__gte=date_from)
    if date_to:
        qs = qs.filter(starts_at__lt=date_to)
    return qs.order_by("starts_at")[:limit]


def open_sessions(actor: Any, *, court_ids: Iterable[int], date_from: dt.datetime,
                  date_to: dt.datetime, limit: int = 400) -> list[BookedSession]:
    """Sessions of these courts not cancelled and not full: where a hearing may continue."""
    require(actor, Permission.CASE_VIEW)
    qs = (CourtSession.objects.filter(location__court__in=list(court_ids), cancelled=False,
                                      starts_at__gte=date_from, starts_at__lt=date_to)
          .select_related("location__court", "judge")
          .annotate(booked=Count("hearings",
                                 filter=Q(hearings__status=HearingStatus.SCHEDULED)))
          .order_by("starts_at"))
    return [s for s in qs[:limit] if s.booked < s.capacity]


def unscheduled_cases(actor: Any, *, limit: int = 100) -> QuerySet[Case]:
    """The clerk's queue: cases that should have a hearing and have none scheduled."""
    require(actor, Permission.HEARING_SCHEDULE)
    from garita.hearings.loader import SCHEDULABLE

    return (cases_visible_to(actor).filter(status__in=SCHEDULABLE)
            .exclude(hearings__status=HearingStatus.SCHEDULED)
            .select_related("person__encounter", "port").order_by("created_at")[:limit])


def escort_runs_for(port_id: int, day: dt.date) -> QuerySet[EscortRun]:
    return EscortRun.objects.filter(port_id=port_id, date=day).order_by("sequence")


def port_day(actor: Any, *, port: Any, day: dt.date) -> dict[str, Any]:
    """The port's hearing morning: who reports that day (local date of the report time),
    who has checked in, the escort runs, and how many one run may carry."""
    require(actor, Permission.PORT_CHECKIN)
    from garita.hearings.services import escort_capacity

    tz = zone(port.timezone)
    start = dt.datetime.combine(day, dt.time(), tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    hearings = list(
        Hearing.objects.filter(report_port=port, report_at__gte=start, report_at__lt=end,
                               case__in=cases_visible_to(actor))
        .exclude(status=HearingStatus.CANCELLED)
        .select_related("case__person", "location__court", "court", "escort_run")
        .order_by("report_at", "family_key", "case__a_number")
    )
    runs = list(EscortRun.objects.filter(port=port, date=day).order_by("sequence")
                .annotate(persons=Count("hearings")))
    return {"hearings": hearings, "runs": runs, "persons_per_run": escort_capacity(port.pk)}
