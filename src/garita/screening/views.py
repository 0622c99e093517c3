"""Staff pages for screening: thin views that parse a form, call one service or selector and
render. Refusals from services show as 403/404 pages or as errors beside the fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from garita.accounts.permissions import has
from garita.accounts.roles import Permission
from garita.core.errors import DomainError
from garita.screening import selectors, services
from garita.screening.forms import FearClaimForm, FearInterviewForm, PersonScreeningForm


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "screening/refused.html", {"error": exc}, status=exc.status)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    try:
        encounters = selectors.encounters_awaiting_screening(request.user)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "screening/index.html", {
        "encounters": encounters,
        "can_approve": has(request.user, Permission.SCREENING_APPROVE),
        "can_interview": has(request.user, Permission.FEAR_INTERVIEW_RECORD),
    })


@login_required
def screen_encounter_page(request: HttpRequest, encounter_id: int) -> HttpResponse:
    try:
        encounter, cases = selectors.encounter_for_screening(request.user,
                                                             encounter_id=encounter_id)
    except DomainError as exc:
        return _refused(request, exc)
    can_exclude = has(request.user, Permission.PORT_DIRECTOR_EXCLUDE)
    data = request.POST if request.method == "POST" else None
    forms = [PersonScreeningForm(data, prefix=f"p{c.pk}", can_exclude=can_exclude)
             for c in cases]
    errors: list[Any] = []
    pending = [c for c in cases if c.status == "encountered"]
    if request.method == "POST" and pending:
        if all(f.is_valid() for f in forms):
            try:
                profiles = {c.pk: services.profile_for_case(c, encounter, f.cleaned_data)
                            for c, f in zip(cases, forms, strict=True)}
                services.screen_encounter(actor=request.user, encounter=encounter,
                                          profiles_by_case=profiles)
            except DomainError as exc:
                if exc.status in (403, 404):
                    return _refused(request, exc)
                errors.append(exc.message)
            else:
                messages.success(request, _("Screening recorded."))
                return redirect("screening:encounter", encounter_id=encounter.pk)
        else:
            errors.append(_("Some answers are missing: see the marked fields."))
    decisions = []
    if not pending and has(request.user, Permission.SCREENING_VIEW):
        decisions = selectors.encounter_decisions_for(request.user, encounter=encounter)
    by_case = {d.case_id: d for d in decisions}
    people = [{"case": c, "form": f, "decision": by_case.get(c.pk)}
              for c, f in zip(cases, forms, strict=True)]
    family = decisions[0] if decisions else None
    return render(request, "screening/encounter.html", {
        "encounter": encounter, "people": people, "errors": errors,
        "needs_screening": bool(pending), "family": family,
    }, status=400 if errors else 200)


@login_required
def case_page(request: HttpRequest, a_number: str) -> HttpResponse:
    try:
        view = selectors.case_screening_for(request.user, a_number=a_number)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "screening/case.html", {"view": view, "case": view.case})


@login_required
def approvals_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            ids = [int(x) for x in request.POST.getlist("decision")]
        except ValueError:
            ids = []
        done = 0
        try:
            for decision_id in ids:
                decision = selectors.decision_get(decision_id=decision_id)
                services.decision_approve(actor=request.user, decision=decision)
                done += 1
        except DomainError as exc:
            if exc.status in (403, 404) and exc.code != "screening.self_approval":
                return _refused(request, exc)
            messages.error(request, str(exc.message))
        if done:
            messages.success(request, _("%(n)d decision(s) approved.") % {"n": done})
        return redirect("screening:approvals")
    try:
        rows = selectors.approvals_pending_for(request.user)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "screening/approvals.html", {"decisions": rows})


@login_required
def fear_interviews_page(request: HttpRequest) -> HttpResponse:
    form_errors: dict[int, FearInterviewForm] = {}
    if request.method == "POST":
        try:
            claim = selectors.fear_claim_get(claim_id=int(request.POST.get("claim", "0")))
        except (DomainError, ValueError):
            messages.error(request, _("That fear claim was not found."))
            return redirect("screening:fear_interviews")
        form = FearInterviewForm(request.POST, prefix=f"c{claim.pk}")
        if form.is_valid():
            try:
                services.fear_interview_record(actor=request.user, claim=claim,
                                               outcome=form.cleaned_data["outcome"],
                                               notes=form.cleaned_data["notes"])
            except DomainError as exc:
                if exc.status == 403:
                    return _refused(request, exc)
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Interview outcome recorded."))
                return redirect("screening:fear_interviews")
        form_errors[claim.pk] = form
    try:
        claims = selectors.fear_claims_open_for(request.user)
    except DomainError as exc:
        return _refused(request, exc)
    rows = [{"claim": c, "form": form_errors.get(c.pk) or FearInterviewForm(prefix=f"c{c.pk}")}
            for c in claims]
    return render(request, "screening/fear_interviews.html", {"rows": rows},
                  status=400 if form_errors else 200)


@login_required
def fear_claim_page(request: HttpRequest, a_number: str) -> HttpResponse:
    """Record fear of return at any point (after an NTA, on a hearing day)."""
    from garita.accounts.permissions import require
    from garita.intake.selectors import case_get_for

    try:
        require(request.user, Permission.FEAR_CLAIM_RAISE)
        case = case_get_for(request.user, a_number=a_number)
    except DomainError as exc:
        return _refused(request, exc)
    form = FearClaimForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.fear_claim_raise(actor=request.user, case=case,
                                      how=form.cleaned_data["how"])
        except DomainError as exc:
            if exc.status == 403:
                return _refused(request, exc)
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Fear of return recorded: this person will not be "
                                        "returned to Mexico before an asylum officer's "
                                        "interview."))
            return redirect("screening:fear_claim", a_number=case.a_number)
    return render(request, "screening/fear_claim.html", {"case": case, "form": form},
                  status=400 if form.errors else 200)
