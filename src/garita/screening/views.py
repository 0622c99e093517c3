"""Staff pages for screening: thin views that parse a form, call one service or selector and
render. Refusals from services answer with their own status (403, 404, 409, 400) and show
the reason on the page or beside the fields; nothing is half-written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
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
    status = 200
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
                status = exc.status  # 409 already screened, 400 a bad profile ...
            else:
                messages.success(request, _("Screening recorded."))
                return redirect("screening:encounter", encounter_id=encounter.pk)
        else:
            errors.append(_("Some answers are missing: see the marked fields."))
            status = 400
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
    }, status=status)


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
            return _refused(request, DomainError("request.bad_id",
                                                 _("That is not a decision number.")))
        try:
            # All the ticked decisions or none: a refusal leaves nothing half-approved.
            with transaction.atomic():
                for decision_id in ids:
                    decision = selectors.decision_get(decision_id=decision_id)
                    services.decision_approve(actor=request.user, decision=decision)
        except DomainError as exc:
            if exc.status in (403, 404) and exc.code != "screening.self_approval":
                return _refused(request, exc)
            rows = selectors.approvals_pending_for(request.user)
            return render(request, "screening/approvals.html",
                          {"decisions": rows, "error": exc}, status=exc.status)
        if ids:
            messages.success(request, _("%(n)d decision(s) approved.") % {"n": len(ids)})
        return redirect("screening:approvals")
    try:
        rows = selectors.approvals_pending_for(request.user)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "screening/approvals.html", {"decisions": rows})


@login_required
def fear_interviews_page(request: HttpRequest) -> HttpResponse:
    form_errors: dict[int, FearInterviewForm] = {}
    status = 200
    if request.method == "POST":
        try:
            claim = selectors.fear_claim_get(claim_id=int(request.POST.get("claim", "0")))
        except ValueError:
            return _refused(request, DomainError("request.bad_id",
                                                 _("That is not a fear claim number.")))
        except DomainError as exc:
            return _refused(request, exc)
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
                status = exc.status  # 409: already decided
            else:
                messages.success(request, _("Interview outcome recorded."))
                return redirect("screening:fear_interviews")
        else:
            status = 400
        form_errors[claim.pk] = form
    try:
        claims = selectors.fear_claims_open_for(request.user)
    except DomainError as exc:
        return _refused(request, exc)
    rows: list[dict[str, Any]] = [
        {"claim": c, "form": form_errors.get(c.pk) or FearInterviewForm(prefix=f"c{c.pk}")}
        for c in claims]
    if form_errors and not any(r["claim"].pk in form_errors for r in rows):
        # The claim is no longer open (decided meanwhile): say so rather than lose it.
        return _refused(request, DomainError("fear.not_open", _(
            "This fear claim has already been decided."), status=409))
    return render(request, "screening/fear_interviews.html", {"rows": rows}, status=status)


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
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.fear_claim_raise(actor=request.user, case=case,
                                      how=form.cleaned_data["how"])
        except DomainError as exc:
            if exc.status == 403:
                return _refused(request, exc)
            form.add_error(None, str(exc.message))
            status = exc.status  # 409: a claim is already open
        else:
            messages.success(request, _("Fear of return recorded: this person will not be "
                                        "returned to Mexico before an asylum officer's "
                                        "interview."))
            return redirect("screening:fear_claim", a_number=case.a_number)
    return render(request, "screening/fear_claim.html", {"case": case, "form": form},
                  status=status)
