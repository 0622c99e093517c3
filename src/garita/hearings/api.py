"""JSON API for hearings (mounted at /api/v1/hearings/): parse, call one service, return.

Errors are DomainErrors with stable codes (`hearing.too_soon`, `hearing.session_full`, ...),
mapped to 4xx JSON by config.api.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from garita.core.errors import DomainError, NotFound
from garita.hearings import domain, selectors, services
from garita.hearings.models import CourtSession, Hearing
from garita.intake.selectors import case_get_for

router = Router()


class HearingOut(Schema):
    id: int
    a_number: str
    status: str
    calendar: str
    court: str
    location: str
    session: int | None
    starts_at: str
    report_at: str | None
    report_port: str | None
    interpreter: str
    outcome: str
    relief: str
    noticed_at: str | None
    checked_in_at: str | None
    rescission_deadline: str | None


def hearing_out(h: Hearing) -> dict[str, Any]:
    tz = h.location.tz
    port_tz = h.report_port.timezone if h.report_port is not None else tz
    return {
        "id": h.pk, "a_number": h.case.a_number, "status": h.status, "calendar": h.calendar,
        "court": h.court.slug, "location": h.location.name, "session": h.session_id,
        "starts_at": selectors.local_iso(h.starts_at, tz),
        "report_at": selectors.local_iso(h.report_at, port_tz) or None,
        "report_port": h.report_port.slug if h.report_port is not None else None,
        "interpreter": h.interpreter_mode, "outcome": h.outcome, "relief": h.relief,
        "noticed_at": h.noticed_at.isoformat() if h.noticed_at else None,
        "checked_in_at": h.checked_in_at.isoformat() if h.checked_in_at else None,
        "rescission_deadline": h.rescission_deadline.isoformat()
        if h.rescission_deadline else None,
    }


def _hearing(request: HttpRequest, hearing_id: int) -> Hearing:
    h = get_object_or_404(Hearing.objects.select_related("case", "court", "location__court",
                                                         "report_port"), pk=hearing_id)
    case_get_for(request.user, case_id=h.case_id)  # scoping: NotFound if not visible
    return h


@router.get("/cases/{a_number}", response=list[HearingOut])
def case_hearings(request: HttpRequest, a_number: str) -> list[dict[str, Any]]:
    """Every hearing of a case, oldest first."""
    history = selectors.case_history(request.user, a_number=a_number)
    return [hearing_out(h) for h in history["hearings"]]


class ScheduleIn(Schema):
    session_id: int | None = None
    starts_at: str | None = None  # ISO 8601 with the court's offset; finds the session
    calendar: str = "master"


@router.post("/cases/{a_number}/schedule", response={201: list[HearingOut]})
def schedule_case(request: HttpRequest, a_number: str, payload: ScheduleIn
                  ) -> Status[list[dict[str, Any]]]:
    """Schedule the case (and its family) in a session, or the earliest that fits."""
    case = case_get_for(request.user, a_number=a_number)
    session = None
    if payload.session_id is not None:
        session = CourtSession.objects.filter(pk=payload.session_id).first()
        if session is None:
            raise NotFound("hearing.no_session")
    elif payload.starts_at:
        rule = case.port.hearing_settings if hasattr(case.port, "hearing_settings") else None
        if rule is None:
            raise services.refusal("hearing.port_has_no_court")
        loc = rule.location or rule.court.locations.first()
        when = services.parse_hearing_time(payload.starts_at, loc.tz if loc else
                                           rule.court.timezone)
        session = CourtSession.objects.filter(
            location__court=rule.court, starts_at=when, calendar=payload.calendar).first()
        if session is None:
            raise DomainError("hearing.no_session", services.ERROR_MESSAGES["hearing.no_session"],
                              field="starts_at")
    if payload.calendar not in ("master", "individual"):
        raise DomainError("hearing.wrong_calendar", services.ERROR_MESSAGES[
            "hearing.wrong_calendar"], field="calendar")
    created = services.hearing_schedule(actor=request.user, case=case, session=session,
                                        calendar=payload.calendar)
    return Status(201, [hearing_out(Hearing.objects.select_related(
        "case", "court", "location__court", "report_port").get(pk=h.pk)) for h in created])


class CheckInIn(Schema):
    at: dt.datetime | None = None


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise DomainError("hearing.naive_time", _("Give the time with its UTC offset."),
                          field=field)
    return value


@router.post("/{hearing_id}/check-in", response=HearingOut)
def check_in(request: HttpRequest, hearing_id: int, payload: CheckInIn) -> dict[str, Any]:
    h = services.hearing_check_in(actor=request.user, hearing=_hearing(request, hearing_id),
                                  at=_aware(payload.at, "at"))
    return hearing_out(_hearing(request, h.pk))


class EscortIn(Schema):
    hearing_ids: list[int]
    departed_at: dt.datetime | None = None


@router.post("/escort-runs", response={201: dict})
def escort_start(request: HttpRequest, payload: EscortIn) -> Status[dict[str, Any]]:
    hs = [_hearing(request, i) for i in payload.hearing_ids]
    run = services.escort_run_start(actor=request.user, hearings=hs,
                                    departed_at=_aware(payload.departed_at, "departed_at"))
    return Status(201, {"id": run.pk, "port": run.port.slug, "date": run.date.isoformat(),
                        "sequence": run.sequence})


class ArriveIn(Schema):
    arrived_at: dt.datetime | None = None


@router.post("/escort-runs/{run_id}/arrive", response=dict)
def escort_arrive(request: HttpRequest, run_id: int, payload: ArriveIn) -> dict[str, Any]:
    from garita.hearings.models import EscortRun

    run = get_object_or_404(EscortRun, pk=run_id)
    run = services.escort_run_arrive(actor=request.user, run=run,
                                     arrived_at=_aware(payload.arrived_at, "arrived_at"))
    return {"id": run.pk, "arrived_at": run.arrived_at.isoformat() if run.arrived_at else None}


class OutcomeIn(Schema):
    outcome: str
    relief: str = ""
    notes: str = ""
    continue_to_session: int | None = None
    continue_calendar: str = "master"


@router.post("/{hearing_id}/outcome", response=HearingOut)
def outcome(request: HttpRequest, hearing_id: int, payload: OutcomeIn) -> dict[str, Any]:
    """Outcome of a held hearing. Refused: not yet held, late escort as absence, in absentia
    without proven notice."""
    h = _hearing(request, hearing_id)
    session = None
    if payload.continue_to_session is not None:
        session = get_object_or_404(CourtSession, pk=payload.continue_to_session)
    services.hearing_record_outcome(actor=request.user, hearing=h, outcome=payload.outcome,
                                    relief=payload.relief, notes=payload.notes,
                                    continue_to=session,
                                    continue_calendar=payload.continue_calendar)
    return hearing_out(_hearing(request, hearing_id))


class RescindIn(Schema):
    ground: str
    reason: str


@router.post("/{hearing_id}/rescind", response=HearingOut)
def rescind(request: HttpRequest, hearing_id: int, payload: RescindIn) -> dict[str, Any]:
    services.in_absentia_rescind(actor=request.user, hearing=_hearing(request, hearing_id),
                                 ground=payload.ground, reason=payload.reason)
    return hearing_out(_hearing(request, hearing_id))


class RescheduleIn(Schema):
    court: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    calendar: str = ""
    rule: str
    date: dt.date | None = None
    days: int = 0
    reason: str = ""


def _reschedule_args(payload: RescheduleIn) -> tuple[services.RescheduleFilter,
                                                      domain.RescheduleRule]:
    from garita.hearings.models import Court

    court_id = None
    if payload.court:
        court = Court.objects.filter(slug=payload.court).first()
        if court is None:
            raise DomainError("reschedule.unknown_court", _("Unknown court."), field="court")
        court_id = court.pk
    if payload.rule not in domain.RULE_KINDS:
        raise DomainError("reschedule.unknown_rule", _("Unknown rule."), field="rule")
    if payload.rule == "fixed" and payload.date is None:
        raise DomainError("reschedule.date_required", _("The fixed rule needs a date."),
                          field="date")
    if payload.rule == "plus_days" and not 0 < payload.days <= 730:
        raise DomainError("reschedule.bad_days", _("Give between 1 and 730 days."), field="days")
    if payload.date_from and payload.date_to and payload.date_to < payload.date_from:
        raise DomainError("reschedule.bad_range", _("The range ends before it starts."),
                          field="date_to")
    return (services.RescheduleFilter(court_id=court_id, date_from=payload.date_from,
                                      date_to=payload.date_to, calendar=payload.calendar),
            domain.RescheduleRule(payload.rule, date=payload.date, days=payload.days))


@router.post("/reschedule/preview", response=dict)
def reschedule_preview(request: HttpRequest, payload: RescheduleIn) -> dict[str, Any]:
    """Counts and conflicts; changes nothing."""
    flt, rule = _reschedule_args(payload)
    return services.reschedule_preview(actor=request.user, flt=flt, rule=rule)


@router.post("/reschedule/apply", response={201: dict})
def reschedule_apply(request: HttpRequest, payload: RescheduleIn) -> Status[dict[str, Any]]:
    """Moves every matching hearing in one transaction, or nothing if any conflicts."""
    flt, rule = _reschedule_args(payload)
    batch = services.reschedule_apply(actor=request.user, flt=flt, rule=rule,
                                      reason=payload.reason)
    return Status(201, {"batch": batch.pk, "moved": batch.moved,
                        "later_than_target": batch.moved_later})


class SessionOut(Schema):
    id: int
    court: str
    location: str
    judge: str
    starts_at: str
    calendar: str
    capacity: int
    booked: int


@router.get("/sessions", response=list[SessionOut])
def sessions(request: HttpRequest, court: str | None = None, date_from: dt.date | None = None,
             date_to: dt.date | None = None) -> list[dict[str, Any]]:
    def to_dt(d: dt.date | None) -> dt.datetime | None:
        return dt.datetime.combine(d, dt.time(), dt.UTC) if d else None

    out = []
    for s in selectors.sessions_list(request.user, court_slug=court, date_from=to_dt(date_from),
                                     date_to=to_dt(date_to)):
        out.append({"id": s.pk, "court": s.location.court.slug, "location": s.location.name,
                    "judge": s.judge.name, "starts_at": selectors.local_iso(s.starts_at,
                                                                             s.location.tz),
                    "calendar": s.calendar, "capacity": s.capacity, "booked": s.booked})
    return out
