"""Staff pages for hearings: the case page (whole history and actions), a session's docket,
the clerk's scheduling page and the mass reschedule (preview, then apply).

Thin: each POST calls one service; refusals come back as messages with their stable code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

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
from garita.hearings import domain, selectors, services
from garita.hearings.models import Court, CourtSession, Hearing, Outcome, Relief
from garita.intake.selectors import case_get_for
from garita.notices.models import Acknowledgement, Notice, ServiceMethod


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, f"{exc.message} [{exc.code}]")


def _aware(text: str, tz_name: str) -> dt.datetime | None:
    """A datetime-local form value, read in the given time zone."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise DomainError("hearing.bad_time", _("The time is not valid.")) from exc
    return value if value.tzinfo else value.replace(tzinfo=domain.zone(tz_name))


@login_required
def case_page(request: HttpRequest, a_number: str) -> HttpResponse:
    history = selectors.case_history(request.user, a_number=a_number)
    now = timezone.now()
    user = request.user
    hearings = history["hearings"]
    for h in hearings:
        h.local_start = h.starts_at.astimezone(domain.zone(h.location.tz))
        if h.report_at and h.report_port:
            h.local_report = h.report_at.astimezone(domain.zone(h.report_port.timezone))
        h.is_past = h.starts_at <= now
        if h.rescission_deadline:
            h.rescission_days_left = (h.rescission_deadline - now.date()).days
    return render(request, "hearings/case.html", {
        **history,
        "now": now,
        "outcomes": Outcome.choices,
        "reliefs": Relief.choices,
        "methods": ServiceMethod.choices,
        "acks": [c for c in Acknowledgement.choices if c[0] != "none"],
        "can_schedule": has(user, Permission.HEARING_SCHEDULE),
        "can_issue": has(user, Permission.NOTICE_ISSUE),
        "can_override": has(user, Permission.NOTICE_OVERRIDE_ADDRESS),
        "can_checkin": has(user, Permission.PORT_CHECKIN),
        "can_outcome": has(user, Permission.HEARING_RECORD_OUTCOME),
        "has_scheduled": any(h.status == "scheduled" for h in hearings),
        "has_nta": any(n.kind == "nta" and not n.superseded for n in history["notices"]),
        "can_return": has(user, Permission.NOTICE_ISSUE) and history["case"].status == "nta_issued"
        and any(n.kind == "nta" and n.served_at for n in history["notices"]),
    })


ACTIONS: dict[str, Callable[[HttpRequest, Any], Any]] = {}


def action(name: str) -> Callable[[Callable[[HttpRequest, Any], Any]],
                                  Callable[[HttpRequest, Any], Any]]:
    def deco(fn: Callable[[HttpRequest, Any], Any]) -> Callable[[HttpRequest, Any], Any]:
        ACTIONS[name] = fn
        return fn
    return deco


def _case_hearing(request: HttpRequest, case: Any) -> Hearing:
    return get_object_or_404(Hearing, pk=request.POST.get("hearing"), case=case)


@action("schedule")
def _schedule(request: HttpRequest, case: Any) -> Any:
    session = None
    if request.POST.get("session"):
        session = get_object_or_404(CourtSession, pk=request.POST["session"])
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

    notice = get_object_or_404(Notice, pk=request.POST.get("notice"), case=case)
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
    services.hearing_check_in(actor=request.user, hearing=_case_hearing(request, case))
    return _("Check-in recorded.")


@action("outcome")
def _outcome(request: HttpRequest, case: Any) -> Any:
    services.hearing_record_outcome(
        actor=request.user, hearing=_case_hearing(request, case),
        outcome=request.POST.get("outcome", ""), relief=request.POST.get("relief", ""),
        notes=request.POST.get("notes", ""))
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
    if fn is None:
        messages.error(request, _("Unknown action."))
    else:
        try:
            messages.success(request, fn(request, case))
        except DomainError as exc:
            _refused(request, exc)
    return redirect("hearings:case", a_number=case.a_number)


@login_required
def docket(request: HttpRequest, session_id: int) -> HttpResponse:
    session, hearings = selectors.session_docket(request.user, session_id=session_id)
    return render(request, "hearings/docket.html", {
        "session": session, "hearings": hearings,
        "local_start": session.starts_at.astimezone(domain.zone(session.location.tz)),
    })


@login_required
def schedule_page(request: HttpRequest) -> HttpResponse:
    """The clerk's queue: unscheduled cases, one-click scheduling, upcoming sessions."""
    if request.method == "POST":
        try:
            report = services.schedule_unscheduled(actor=request.user)
            messages.success(request, _("Scheduled %(n)d hearing(s).") % {"n": report.scheduled})
            for code, n in report.refused.items():
                messages.error(request, f"{services.ERROR_MESSAGES.get(code, code)} [{code}]: {n}")
        except DomainError as exc:
            if exc.status in (403, 404):
                raise  # a refusal is a 403 page, not a message on a redirect
            _refused(request, exc)
        return redirect("hearings:schedule")
    court = request.GET.get("court") or None
    now = timezone.now()
    sessions = list(selectors.sessions_list(request.user, court_slug=court, date_from=now,
                                            date_to=now + dt.timedelta(days=45), limit=60))
    for s in sessions:
        s.local_start = s.starts_at.astimezone(domain.zone(s.location.tz))
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
        except DomainError as exc:
            _refused(request, exc)
    return render(request, "hearings/reschedule.html", ctx)


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
    return (services.RescheduleFilter(court_id=court.pk if court else None,
                                      date_from=date("date_from"), date_to=date("date_to"),
                                      calendar=p.get("calendar", "")),
            domain.RescheduleRule(kind, date=date("date"), days=days))
