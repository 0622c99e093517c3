"""JSON API for screening (mounted at /api/v1/screening/): parse, call one service, return.

Profiles are strict (every key, exact types); errors are stable codes; reads are audited
and scoped to the cases the caller may see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Body, Router, Schema, Status

from garita.accounts.permissions import require
from garita.accounts.roles import Permission
from garita.core.errors import DomainError
from garita.intake.selectors import case_get_for
from garita.screening import selectors, services
from garita.screening.domain import ScreeningProfile, evaluate
from garita.screening.models import FearClaim, ScreeningDecision

router = Router()


class ReasonOut(Schema):
    code: str
    message: str


class EvaluationOut(Schema):
    outcome: str
    reasons: list[ReasonOut]
    rule_set: str


class PersonAnswers(Schema):
    case_id: int
    processed_for_expedited_removal: bool = False
    returning_lpr: bool = False
    parole: bool = False
    known_health_issue: bool = False
    criminal_history: bool = False
    government_interest: bool = False
    pregnant: bool = False
    fear_of_return: str
    port_director_exclusion: str | None = None


class ScreenIn(Schema):
    people: list[PersonAnswers]


class FearClaimIn(Schema):
    a_number: str
    how: str


class FearInterviewIn(Schema):
    outcome: str
    notes: str = ""


def decision_out(d: ScreeningDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "a_number": d.case.a_number,
        "outcome": d.outcome,
        "individual_outcome": d.individual_outcome,
        "reasons": [{"code": r["code"], "message": str(r["message"]) +
                     (f" {r['detail']}" if r["detail"] else "")} for r in d.reason_items()],
        "family_outcome": d.family_outcome,
        "family_reasons": [{"member": r["member"], "name": r["name"], "code": r["code"],
                            "message": str(r["message"])} for r in d.family_reason_items()],
        "family_policy": d.family_policy,
        "rule_set": d.rule_set_version,
        "decided_by": d.decided_by_label,
        "decided_at": d.decided_at.isoformat(),
        "approved_by": d.approved_by.get_username() if d.approved_by else None,
        "approved_at": d.approved_at.isoformat() if d.approved_at else None,
    }


def claim_out(c: FearClaim) -> dict[str, Any]:
    return {
        "id": c.pk, "a_number": c.case.a_number, "how": c.how, "status": c.status,
        "raised_at": c.raised_at.isoformat(),
        "interview_at": c.interview_at.isoformat() if c.interview_at else None,
        "interviewed_by": c.interviewed_by.get_username() if c.interviewed_by else None,
        "notes": c.notes,
    }


@router.post("/evaluate", response=EvaluationOut)
def evaluate_profile(request: HttpRequest, payload: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
    """Evaluate one profile with the current rule set; nothing is saved."""
    require(request.user, Permission.SCREENING_DECIDE)
    profile = ScreeningProfile.from_dict(payload)
    return evaluate(profile, selectors.rule_set_current()).as_dict()


@router.post("/encounters/{encounter_id}/decisions", response={201: list[dict[str, Any]]})
def screen(request: HttpRequest, encounter_id: int, payload: ScreenIn) -> Any:
    """Screen every person of an encounter at once (the family is decided together)."""
    encounter, cases = selectors.encounter_for_screening(request.user, encounter_id=encounter_id)
    by_id = {c.pk: c for c in cases}
    profiles = {}
    for answers in payload.people:
        case = by_id.get(answers.case_id)
        if case is None:
            raise DomainError("screening.incomplete_family",
                              _("A case is not part of this encounter."), field="people")
        profiles[case.pk] = services.profile_for_case(case, encounter,
                                                      answers.dict(exclude={"case_id"}))
    rows = services.screen_encounter(actor=request.user, encounter=encounter,
                                     profiles_by_case=profiles)
    return Status(201, [decision_out(d) for d in rows])


@router.post("/decisions/{decision_id}/approve", response=dict[str, Any])
def approve(request: HttpRequest, decision_id: int) -> Any:
    require(request.user, Permission.SCREENING_APPROVE)
    decision = selectors.decision_get(decision_id=decision_id)
    return decision_out(services.decision_approve(actor=request.user, decision=decision))


@router.post("/fear-claims", response={201: dict[str, Any]})
def raise_fear(request: HttpRequest, payload: FearClaimIn) -> Any:
    """Fear of return at any time: the case waits for an interview and cannot be returned."""
    require(request.user, Permission.FEAR_CLAIM_RAISE)
    case = case_get_for(request.user, a_number=payload.a_number)
    claim = services.fear_claim_raise(actor=request.user, case=case, how=payload.how)
    return Status(201, {"id": claim.pk, "status": claim.status, "how": claim.how})


@router.post("/fear-claims/{claim_id}/interview", response=dict[str, Any])
def record_interview(request: HttpRequest, claim_id: int, payload: FearInterviewIn) -> Any:
    require(request.user, Permission.FEAR_INTERVIEW_RECORD)
    claim = selectors.fear_claim_get(claim_id=claim_id)
    claim = services.fear_interview_record(actor=request.user, claim=claim,
                                           outcome=payload.outcome, notes=payload.notes)
    return claim_out(claim)


@router.get("/cases/{a_number}", response=dict[str, Any])
def case_screening(request: HttpRequest, a_number: str) -> Any:
    """A case's decisions (and fear claims for need-to-know roles). Audited."""
    view = selectors.case_screening_for(request.user, a_number=a_number)
    out: dict[str, Any] = {
        "a_number": view.case.a_number,
        "status": view.case.status,
        "decisions": [decision_out(d) for d in view.decisions],
        "orr_referrals": [{"deadline": r.deadline.isoformat(), "status": r.status}
                          for r in view.orr_referrals],
    }
    if view.fear_claims is not None:
        out["fear_claims"] = [claim_out(c) for c in view.fear_claims]
    return out

