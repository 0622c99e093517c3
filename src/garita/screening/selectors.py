"""Reads of screening data. `has_open_fear_claim(case)` is the guard that keeps anyone with
an open fear-of-return claim from being returned to Mexico; every read of decisions or fear
claims by a person is permission-checked, scoped to visible cases and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.intake.models import Case, Encounter
from garita.intake.selectors import case_get_for, cases_visible_to
from garita.screening import domain
from garita.screening.models import (
    FearClaim,
    FearStatus,
    OrrReferral,
    RuleSet,
    ScreeningDecision,
)


def has_open_fear_claim(case: Case) -> bool:
    return FearClaim.objects.filter(case_id=case.pk, status=FearStatus.OPEN).exists()


def rule_set_current_row() -> RuleSet | None:
    return RuleSet.objects.order_by("-version").first()


def rule_set_current() -> domain.RuleSet:
    """The newest rule set, or the built-in default when none was saved yet (no write)."""
    row = rule_set_current_row()
    return row.to_domain() if row is not None else domain.DEFAULT_RULE_SET


def rule_set_by_version(label: str) -> domain.RuleSet:
    if label.startswith("v") and label[1:].isdigit():
        row = RuleSet.objects.filter(version=int(label[1:])).first()
        if row is not None:
            return row.to_domain()
    if label == domain.DEFAULT_RULE_SET.version:
        return domain.DEFAULT_RULE_SET
    return rule_set_current()


@dataclass(frozen=True)
class CaseScreening:
    case: Case
    decisions: list[ScreeningDecision]
    fear_claims: list[FearClaim] | None  # None: the reader may not see fear data
    orr_referrals: list[OrrReferral]


def case_screening_for(actor: Any, *, a_number: str | None = None,
                       case_id: int | None = None) -> CaseScreening:
    """A case's decisions (and fear claims for need-to-know roles); every read is audited."""
    require(actor, Permission.SCREENING_VIEW)
    case = case_get_for(actor, a_number=a_number, case_id=case_id)
    decisions = list(
        ScreeningDecision.objects.filter(case=case)
        .select_related("decided_by", "approved_by")
        .order_by("-decided_at", "-id")
    )
    audit.record_read(actor=actor, obj=case, what="screening")
    claims: list[FearClaim] | None = None
    if has(actor, Permission.FEAR_VIEW):
        claims = list(FearClaim.objects.filter(case=case).select_related(
            "raised_by", "interviewed_by"))
        audit.record_read(actor=actor, obj=case, what="fear")
    referrals = list(OrrReferral.objects.filter(case=case))
    return CaseScreening(case=case, decisions=decisions, fear_claims=claims,
                         orr_referrals=referrals)


def encounter_for_screening(actor: Any, *, encounter_id: int) -> tuple[Encounter, list[Case]]:
    """The encounter and its people's cases, for an officer about to screen them."""
    require(actor, Permission.SCREENING_DECIDE)
    from garita.core.errors import NotFound

    encounter = Encounter.objects.select_related("port").filter(pk=encounter_id).first()
    if encounter is None:
        raise NotFound("encounter.not_found")
    cases = list(
        cases_visible_to(actor).filter(person__encounter=encounter)
        .order_by("-person__is_head", "person__date_of_birth", "id")
    )
    return encounter, cases


def encounter_decisions_for(actor: Any, *, encounter: Encounter) -> list[ScreeningDecision]:
    """The latest decision of each person of an encounter (audited read)."""
    require(actor, Permission.SCREENING_VIEW)
    latest: dict[int, ScreeningDecision] = {}
    for d in (ScreeningDecision.objects.filter(encounter=encounter)
              .select_related("case__person", "decided_by", "approved_by")
              .order_by("decided_at", "id")):
        latest[d.case_id] = d
    if latest:
        audit.record(actor=actor, action="screening.read", obj=encounter,
                     new={"decisions": [d.pk for d in latest.values()]})
    return list(latest.values())


def approvals_pending_for(actor: Any, *, limit: int = 200) -> list[ScreeningDecision]:
    """Decisions waiting for a supervisor, oldest first, excluding the actor's own."""
    require(actor, Permission.SCREENING_APPROVE)
    rows = list(
        ScreeningDecision.objects.filter(approved_at__isnull=True)
        .exclude(decided_by=actor)
        .select_related("case__person", "decided_by", "encounter__port")
        .order_by("decided_at", "id")[:limit]
    )
    if rows:
        audit.record(actor=actor, action="screening.queue.read", object_type="screening.queue",
                     new={"decisions": [d.pk for d in rows]})
    return rows


def fear_claims_open_for(actor: Any, *, limit: int = 200) -> list[FearClaim]:
    """Open fear claims for asylum officers, oldest first (audited read)."""
    require(actor, Permission.FEAR_INTERVIEW_RECORD)
    rows = list(
        FearClaim.objects.filter(status=FearStatus.OPEN)
        .select_related("case__person", "case__port", "raised_by")
        .order_by("raised_at", "id")[:limit]
    )
    if rows:
        audit.record(actor=actor, action="fear.queue.read", object_type="fear.queue",
                     new={"claims": [c.pk for c in rows]})
    return rows


def decision_get(*, decision_id: int) -> ScreeningDecision:
    from garita.core.errors import NotFound

    row = ScreeningDecision.objects.select_related("case", "decided_by").filter(
        pk=decision_id).first()
    if row is None:
        raise NotFound("screening.decision_not_found")
    return row


def fear_claim_get(*, claim_id: int) -> FearClaim:
    from garita.core.errors import NotFound

    row = FearClaim.objects.select_related("case").filter(pk=claim_id).first()
    if row is None:
        raise NotFound("fear.claim_not_found")
    return row


def encounters_awaiting_screening(actor: Any, *, limit: int = 100) -> list[Encounter]:
    """Encounters with people not yet screened, oldest first (no protected data)."""
    require(actor, Permission.SCREENING_DECIDE)
    from garita.intake.models import CaseStatus

    ids = (Case.objects.filter(status=CaseStatus.ENCOUNTERED)
           .values_list("person__encounter_id", flat=True).distinct())
    return list(Encounter.objects.filter(pk__in=ids).select_related("port")
                .order_by("occurred_at", "id")[:limit])
