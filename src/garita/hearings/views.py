"""Staff pages for hearings: the case page (whole history and actions), a session's docket,
the clerk's scheduling page and the mass reschedule (preview, then apply).

Thin: each POST calls one service. A success redirects (with a message); a refusal answers
with its own 4xx status (403 permission, 409 a rule of the case, 400 bad input) and the page
again, the translated reason on top and nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.core.errors import DomainError
from garita.core.localtime import at_zone
from garita.hearings import domain, selectors, services
from garita.hearings.models import (
    CalendarType,
    Court,
    CourtSession,
    EscortRun,
    Hearing,
    Outcome,
    Relief,
)
from garita.intake.selectors import case_get_for
from garita.notices.models import Acknowledgement, Notice, ServiceMethod

if TYPE_CHECKING:
    from garita.hearings.selectors import BookedSession


# --- what the pages show of a hearing, a session or an escort run: times in the zone of
# the place they happen (the court's location, or the port), next to the row itself.


def _shown(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """`value` at `tz`'s time, which the templates show as it is (garita.core.localtime)."""
    return at_zone(value, tz)


@dataclass(frozen=True)
class SessionRow:
    session: BookedSession
    local_start: dt.datetime


def _session_rows(sessions: Iterable[BookedSession]) -> list[SessionRow]:
    return [SessionRow(s, _shown(s.starts_at, domain.zone(s.location.tz))) for s in sessions]


@dataclass(frozen=True)
class CaseHearingRow:
    """A hearing on the case page; the last two only for a past, scheduled hearing seen
    by someone who may record its outcome."""

    hearing: Hearing
    local_start: dt.datetime
    local_report: dt.datetime | None
    port_tz: str
    local_checkin: dt.datetime | None
    local_departed: dt.datetime | None
    local_arrival: dt.datetime | None
    is_past: bool
    rescission_days_left: int | None
    absence_refusal: DomainError | None = None
    in_absentia_reasons: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class DocketRow:
    hearing: Hearing
    local_checkin: dt.datetime | None  # port time
    local_arrival: dt.datetime | None  # court time


@dataclass(frozen=True)
class PortDayRow:
    hearing: Hearing
    local_report: dt.datetime | None
    local_start: dt.datetime
    local_checkin: dt.datetime | None
    local_arrival: dt.datetime | None
    can_escort: bool


@dataclass(frozen=True)
class RunRow:
    run: EscortRun
    local_departed: dt.datetime | None
    local_arrived: dt.datetime | None


def _int(request: HttpRequest, name: str) -> int:
    """An id from the form; anything else is bad input (400), never a server error."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError as exc:
        raise DomainError("request.bad_id", _("A required choice is missing or not valid."),
                          field=name) from exc


def _aware(text: str, tz_name: str) -> dt.datetime | None:
    """A datetime-local form value, read in the given time zone."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise DomainError("hearing.bad_time", _("The time is not valid.")) from exc
    return value if value.tzinfo else value.replace(tzinfo=domain.zone(tz_name))


def _case_context(request: HttpRequest, a_number: str) -> dict[str, Any]:
    history = selectors.case_history(request.user, a_number=a_number)
    now = timezone.now()
    user = request.user
    hearings: list[Hearing] = history["hearings"]
    can_outcome = has(user, Permission.HEARING_RECORD_OUTCOME)
    rows = [_case_hearing_row(h, now=now, can_outcome=can_outcome) for h in hearings]
    continuance_sessions: list[SessionRow] = []
    if can_outcome and any(r.hearing.status == "scheduled" and r.is_past for r in rows):
        continuance_sessions = _session_rows(selectors.open_sessions(
            user, court_ids={h.court_id for h in hearings}, date_from=now,
            date_to=now + dt.timedelta(days=120)))
    return {
        **history,
        "hearing_rows": rows,
        "now": now,
        "outcomes": Outcome.choices,
        "reliefs": Relief.choices,
        "methods": ServiceMethod.choices,
        "acks": [c for c in Acknowledgement.choices if c[0] != "none"],
        "calendars": CalendarType.choices,
        "continuance_sessions": continuance_sessions,
        "can_schedule": has(user, Permission.HEARING_SCHEDULE),
        "can_issue": has(user, Permission.NOTICE_ISSUE),
        "can_override": has(user, Permission.NOTICE_OVERRIDE_ADDRESS),
        "can_checkin": has(user, Permission.PORT_CHECKIN),
        "can_outcome": can_outcome,
        "has_scheduled": any(h.status == "scheduled" for h in hearings),
        "has_nta": any(n.kind == "nta" and not n.superseded for n in history["notices"]),
        "can_return": has(user, Permission.NOTICE_ISSUE) and history["case"].status == "nta_issued"
        and any(n.kind == "nta" and n.served_at for n in history["notices"]),
    }


def _case_hearing_row(h: Hearing, *, now: dt.datetime, can_outcome: bool) -> CaseHearingRow:
    report_port = h.report_port
    local_report, port_tz = None, ""
    if h.report_at and report_port is not None:
        local_report = _shown(h.report_at, domain.zone(report_port.timezone))
        port_tz = report_port.timezone
    ptz = domain.zone(report_port.timezone if report_port else h.case.port.timezone)
    escort = h.escort_run
    is_past = h.starts_at <= now
    # Say before anyone tries why an absence cannot be recorded.
    explain_absence = h.status == "scheduled" and is_past and can_outcome
    return CaseHearingRow(
        hearing=h,
        local_start=_shown(h.starts_at, domain.zone(h.location.tz)),
        local_report=local_report,
        port_tz=port_tz,
        local_checkin=_shown(h.checked_in_at, ptz) if h.checked_in_at else None,
        local_departed=(_shown(escort.departed_at, ptz)
                        if escort and escort.departed_at else None),
        local_arrival=(_shown(h.arrived_at_court_at, domain.zone(h.location.tz))
                       if h.arrived_at_court_at else None),
        is_past=is_past,
        rescission_days_left=((h.rescission_deadline - now.date()).days
                              if h.rescission_deadline else None),
        absence_refusal=services.absence_refusal(h) if explain_absence else None,
        in_absentia_reasons=[services.NOT_PROVEN_REASONS.get(c, c)
                             for c in services.in_absentia_blockers(h)]
        if explain_absence else [],
    )


@login_required
def case_page(request: HttpRequest, a_number: str) -> HttpResponse:
    return render(request, "hearings/case.html", _case_context(request, a_number))


ACTIONS: dict[str, Callable[[HttpRequest, Any], Any]] = {}


def action(name: str) -> Callable[[Callable[[HttpRequest, Any], Any]],
                                  Callable[[HttpRequest, Any], Any]]:
    def deco(fn: Callable[[HttpRequest, Any], Any]) -> Callable[[HttpRequest, Any], Any]:
        ACTIONS[name] = fn
        return fn
    return deco


def _case_hearing(request: HttpRequest, case: Any) -> Hearing:
    return get_object_or_404(Hearing, pk=_int(request, "hearing"), case=case)


@action("schedule")
def _schedule(request: HttpRequest, case: Any) -> Any:
    session = None
    if request.POST.get("session"):
        session = get_object_or_404(CourtSession, pk=_int(request, "session"))
    hs = services.hearing_schedule(actor=request.user, case=case, session=session)
    return _("Scheduled %(n)d hearing(s).") % {"n": len(hs)}


@action("issue_nta")
def _issue(request: HttpRequest, case: Any) -> Any:
    from garita.notices.services import nta_issue

    nta, _pin = nta_issue(actor=request.user, case=case,
                          override_reason=request.POST.get("override_reason", ""),
                          language=request.POST.get("language", ""))
    return _("Notice to Appear issued. Print it now: the PIN is only on the document.")


@action("serve")
def _serve(request: HttpRequest, case: Any) -> Any:
    from garita.notices.services import notice_record_service

    notice = get_object_or_404(Notice, pk=_int(request, "notice"), case=case)
    notice_record_service(
        actor=request.user, notice=notice, method=request.POST.get("method", ""),
        acknowledgement=request.POST.get("acknowledgement", ""),
        served_at=_aware(request.POST.get("served_at", ""), case.port.timezone),
        proof=request.POST.get("proof", ""))
    return _("Service recorded.")


@action("return")
def _return(request: HttpRequest, case: Any) -> Any:
    from garita.notices.services import case_return_to_mexico

    case_return_to_mexico(actor=request.user, case=case)
    return _("The person was returned to Mexico to await the hearing.")


@action("check_in")
def _check_in(request: HttpRequest, case: Any) -> Any:
    h = _case_hearing(request, case)
    tz = h.report_port.timezone if h.report_port is not None else case.port.timezone
    services.hearing_check_in(actor=request.user, hearing=h,
                              at=_aware(request.POST.get("at", ""), tz))
    return _("Check-in recorded.")


@action("arrive")
def _arrive(request: HttpRequest, case: Any) -> Any:
    h = _case_hearing(request, case)
    services.hearing_arrive_at_court(actor=request.user, hearing=h,
                                     at=_aware(request.POST.get("at", ""), h.location.tz))
    return _("Arrival at court recorded.")


@action("outcome")
def _outcome(request: HttpRequest, case: Any) -> Any:
    continue_to = None
    if request.POST.get("continue_to"):
        continue_to = get_object_or_404(CourtSession, pk=_int(request, "continue_to"))
    calendar = request.POST.get("continue_calendar") or "master"
    if calendar not in CalendarType.values:
        raise DomainError("hearing.wrong_calendar", services.ERROR_MESSAGES[
            "hearing.wrong_calendar"], field="continue_calendar")
    services.hearing_record_outcome(
        actor=request.user, hearing=_case_hearing(request, case),
        outcome=request.POST.get("outcome", ""), relief=request.POST.get("relief", ""),
        notes=request.POST.get("notes", ""), continue_to=continue_to,
        continue_calendar=calendar)
    return _("Outcome recorded.")


@action("rescind")
def _rescind(request: HttpRequest, case: Any) -> Any:
    services.in_absentia_rescind(actor=request.user, hearing=_case_hearing(request, case),
                                 ground=request.POST.get("ground", ""),
                                 reason=request.POST.get("reason", ""))
    return _("Order rescinded; the case is back in proceedings.")


@login_required
@require_POST
def case_action(request: HttpRequest, a_number: str) -> HttpResponse:
    case = case_get_for(request.user, a_number=a_number)
    fn = ACTIONS.get(request.POST.get("action", ""))
    try:
        if fn is None:
            raise DomainError("request.unknown_action", _("Unknown action."), field="action")
        done = fn(request, case)
    except DomainError as exc:
        # The service's transaction is rolled back: show the case as it is, and why not.
        ctx = _case_context(request, case.a_number)
        return render(request, "hearings/case.html", {**ctx, "error": exc}, status=exc.status)
    messages.success(request, done)
    return redirect("hearings:case", a_number=case.a_number)


@login_required
def docket(request: HttpRequest, session_id: int) -> HttpResponse:
    """A session's docket; clerks record here who arrived at court on their own."""
    error: DomainError | None = None
    if request.method == "POST":
        try:
            hearing = get_object_or_404(Hearing, pk=_int(request, "hearing"),
                                        session_id=session_id)
            case_get_for(request.user, case_id=hearing.case_id)  # scoping: 404 if unseen
            services.hearing_arrive_at_court(
                actor=request.user, hearing=hearing,
                at=_aware(request.POST.get("at", ""), hearing.location.tz))
            messages.success(request, _("Arrival at court recorded."))
            return redirect("hearings:docket", session_id=session_id)
        except DomainError as exc:
            error = exc
    session, hearings = selectors.session_docket(request.user, session_id=session_id)
    tz = domain.zone(session.location.tz)
    rows = [DocketRow(
        hearing=h,
        local_checkin=(_shown(h.checked_in_at, domain.zone(h.report_port.timezone))
                       if h.checked_in_at and h.report_port is not None else None),
        local_arrival=_shown(h.arrived_at_court_at, tz) if h.arrived_at_court_at else None,
    ) for h in hearings]
    return render(request, "hearings/docket.html", {
        "session": session, "hearings": hearings, "rows": rows, "error": error,
        "local_start": _shown(session.starts_at, tz),
        "can_arrive": has(request.user, Permission.HEARING_RECORD_OUTCOME)
        or has(request.user, Permission.PORT_CHECKIN),
    }, status=error.status if error else 200)


def _port_day_date(request: HttpRequest, tz_name: str) -> dt.date:
    text = request.POST.get("date") or request.GET.get("date") or ""
    if not text:
        return timezone.now().astimezone(domain.zone(tz_name)).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError("request.bad_date", _("Give dates as YYYY-MM-DD."),
                          field="date") from exc


@login_required
def hearing_day_ports(request: HttpRequest) -> HttpResponse:
    """Choose the port (officers go straight to their own)."""
    require(request.user, Permission.PORT_CHECKIN)
    from garita.core.models import Port

    own = getattr(request.user, "port", None)
    if own is not None and hasattr(own, "hearing_settings") and not request.GET.get("all"):
        return redirect("hearings:port_day", port_slug=own.slug)
    return render(request, "hearings/hearing_day_ports.html", {
        "ports": Port.objects.filter(hearing_settings__isnull=False).order_by("name")})


@login_required
def port_day(request: HttpRequest, port_slug: str) -> HttpResponse:
    """The port's hearing morning: check in, form escort runs, depart, arrive at court."""
    from garita.core.models import Port

    require(request.user, Permission.PORT_CHECKIN)
    port = get_object_or_404(Port, slug=port_slug)
    day = _port_day_date(request, port.timezone)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            done = _port_day_action(request, port)
            messages.success(request, done)
            return redirect(f"{request.path}?date={day.isoformat()}")
        except DomainError as exc:
            error = exc
    ctx = selectors.port_day(request.user, port=port, day=day)
    ptz = domain.zone(port.timezone)
    hearings: list[Hearing] = ctx["hearings"]
    rows = [PortDayRow(
        hearing=h,
        local_report=_shown(h.report_at, ptz) if h.report_at else None,
        local_start=_shown(h.starts_at, domain.zone(h.location.tz)),
        local_checkin=_shown(h.checked_in_at, ptz) if h.checked_in_at else None,
        local_arrival=(_shown(h.arrived_at_court_at, domain.zone(h.location.tz))
                       if h.arrived_at_court_at else None),
        can_escort=(h.status == "scheduled" and h.checked_in_at is not None
                    and h.escort_run_id is None),
    ) for h in hearings]
    runs: list[EscortRun] = ctx["runs"]
    run_rows = [RunRow(
        run=r,
        local_departed=_shown(r.departed_at, ptz) if r.departed_at else None,
        local_arrived=_shown(r.arrived_at, ptz) if r.arrived_at else None,
    ) for r in runs]
    failed = set(error.details.get("hearings", [])) if error else set()
    return render(request, "hearings/port_day.html", {
        **ctx, "port": port, "day": day, "error": error, "failed": failed,
        "hearing_rows": rows, "run_rows": run_rows,
        "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
        "waiting": [r for r in rows if r.can_escort],
    }, status=error.status if error else 200)


def _port_day_action(request: HttpRequest, port: Any) -> Any:
    what = request.POST.get("action", "")
    if what == "check_in":
        h = get_object_or_404(Hearing, pk=_int(request, "hearing"), report_port=port)
        case_get_for(request.user, case_id=h.case_id)
        services.hearing_check_in(actor=request.user, hearing=h,
                                  at=_aware(request.POST.get("at", ""), port.timezone))
        return _("Check-in recorded.")
    if what == "escort_start":
        try:
            ids = [int(i) for i in request.POST.getlist("hearings")]
        except ValueError as exc:
            raise DomainError("request.bad_id", _("A required choice is missing or not "
                                                  "valid."), field="hearings") from exc
        hs = list(Hearing.objects.filter(pk__in=ids, report_port=port))
        if len(hs) != len(set(ids)):
            raise services.refusal("escort.no_port", "hearings")
        for h in hs:
            case_get_for(request.user, case_id=h.case_id)
        run = services.escort_run_start(
            actor=request.user, hearings=hs,
            departed_at=_aware(request.POST.get("departed_at", ""), port.timezone))
        return _("Escort run %(n)d left the port with %(count)d person(s).") % {
            "n": run.sequence, "count": len(hs)}
    if what == "escort_arrive":
        run = get_object_or_404(EscortRun, pk=_int(request, "run"), port=port)
        services.escort_run_arrive(
            actor=request.user, run=run,
            arrived_at=_aware(request.POST.get("arrived_at", ""), port.timezone))
        return _("Escort run %(n)d arrived at court.") % {"n": run.sequence}
    raise DomainError("request.unknown_action", _("Unknown action."), field="action")


@login_required
def schedule_page(request: HttpRequest) -> HttpResponse:
    """The clerk's queue: unscheduled cases, one-click scheduling, upcoming sessions."""
    if request.method == "POST":
        # A refusal of the whole operation (permission) is its own 4xx page; cases that
        # could not be placed are a report on a successful run, shown as messages.
        report = services.schedule_unscheduled(actor=request.user)
        messages.success(request, _("Scheduled %(n)d hearing(s).") % {"n": report.scheduled})
        for code, n in report.refused.items():
            messages.error(request, f"{services.ERROR_MESSAGES.get(code, code)} [{code}]: {n}")
        return redirect("hearings:schedule")
    court = request.GET.get("court") or None
    now = timezone.now()
    sessions = _session_rows(selectors.sessions_list(
        request.user, court_slug=court, date_from=now, date_to=now + dt.timedelta(days=45),
        limit=60))
    return render(request, "hearings/schedule.html", {
        "cases": selectors.unscheduled_cases(request.user),
        "sessions": sessions, "courts": Court.objects.all(), "court": court,
    })


@login_required
def reschedule_page(request: HttpRequest) -> HttpResponse:
    """Mass reschedule: the form shows a preview; only the confirm button changes anything."""
    require(request.user, Permission.HEARING_RESCHEDULE_MASS)  # the form is for those who may
    ctx: dict[str, Any] = {"courts": Court.objects.all(), "rules": domain.RULE_KINDS,
                           "form": request.POST or {}}
    status = 200
    if request.method == "POST":
        try:
            flt, rule = _reschedule_form(request)
            if request.POST.get("confirm") == "1":
                batch = services.reschedule_apply(actor=request.user, flt=flt, rule=rule,
                                                  reason=request.POST.get("reason", ""))
                messages.success(request, _("Moved %(n)d hearing(s); notices queued.")
                                 % {"n": batch.moved})
                return redirect("hearings:reschedule")
            ctx["preview"] = services.reschedule_preview(actor=request.user, flt=flt, rule=rule)
        except DomainError as exc:  # nothing moved (one transaction): say why, with its status
            ctx["error"] = exc
            status = exc.status
            conflicts = exc.details.get("conflicts") if exc.details else None
            if conflicts:
                ctx["error_conflicts"] = _conflict_lines(conflicts)
    if ctx.get("preview"):
        ctx["preview_conflicts"] = _conflict_lines(ctx["preview"]["conflicts"])
    return render(request, "hearings/reschedule.html", ctx, status=status)


def _conflict_lines(conflicts: dict[str, int]) -> list[tuple[str, Any, int]]:
    return [(code, services.ERROR_MESSAGES.get(code, code), n)
            for code, n in sorted(conflicts.items())]


def _reschedule_form(request: HttpRequest) -> tuple[services.RescheduleFilter,
                                                    domain.RescheduleRule]:
    p = request.POST

    def date(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(p[name]) if p.get(name) else None
        except ValueError as exc:
            raise DomainError("reschedule.bad_date", _("Give dates as YYYY-MM-DD."),
                              field=name) from exc

    court = Court.objects.filter(slug=p.get("court")).first() if p.get("court") else None
    if p.get("court") and court is None:
        raise DomainError("reschedule.unknown_court", _("Unknown court."), field="court")
    if p.get("calendar") and p["calendar"] not in CalendarType.values:
        raise DomainError("hearing.wrong_calendar",
                          services.ERROR_MESSAGES["hearing.wrong_calendar"], field="calendar")
    kind = p.get("rule", "")
    if kind not in domain.RULE_KINDS:
        raise DomainError("reschedule.unknown_rule", _("Unknown rule."), field="rule")
    try:
        days = int(p.get("days") or 0)
    except ValueError as exc:
        raise DomainError("reschedule.bad_days", _("Give between 1 and 730 days."),
                          field="days") from exc
    if kind == "fixed" and date("date") is None:
        raise DomainError("reschedule.date_required", _("The fixed rule needs a date."),
                          field="date")
    if kind == "plus_days" and not 0 < days <= 730:
        raise DomainError("reschedule.bad_days", _("Give between 1 and 730 days."), field="days")
    date_from, date_to = date("date_from"), date("date_to")
    if date_from and date_to and date_to < date_from:
        raise DomainError("reschedule.bad_range", _("The range ends before it starts."),
                          field="date_to")
    return (services.RescheduleFilter(court_id=court.pk if court else None,
                                      date_from=date_from, date_to=date_to,
                                      calendar=p.get("calendar", "")),
            domain.RescheduleRule(kind, date=date("date"), days=days))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Where the hearings work starts: scheduling, the port's hearing day, reschedules."""
    require(request.user, Permission.CASE_VIEW)
    u = request.user
    return render(request, "hearings/index.html", {
        "can_schedule": has(u, Permission.HEARING_SCHEDULE),
        "can_checkin": has(u, Permission.PORT_CHECKIN),
        "can_reschedule": has(u, Permission.HEARING_RESCHEDULE_MASS),
    })


@login_required
def find(request: HttpRequest) -> HttpResponse:
    """Open a case's hearings by A-number (scoped: a case the user may not see is a 404)."""
    require(request.user, Permission.CASE_VIEW)
    case = case_get_for(request.user, a_number=request.GET.get("a_number", "").strip())
    return redirect("hearings:case", a_number=case.a_number)
