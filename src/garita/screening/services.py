"""Writes on screening: decisions, approvals, fear claims and interviews, rule-set versions.

Every function is keyword-only, atomic, checks permissions first and writes audit events in
the same transaction; cases move only through intake.services.case_transition, so a case with
an open fear claim is never returned to Mexico.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.core.errors import Conflict, DomainError, PermissionDenied
from garita.intake.domain import can_transition, status_after_fear_interview
from garita.intake.models import Case, CaseStatus, Encounter
from garita.intake.services import case_transition
from garita.screening import domain
from garita.screening.models import (
    FearClaim,
    FearStatus,
    OrrReferral,
    RuleSet,
    ScreeningDecision,
)
from garita.screening.selectors import rule_set_by_version, rule_set_current_row

ORR_DEADLINE = dt.timedelta(hours=72)


def encounter_local_date(encounter: Encounter) -> dt.date:
    """The encounter's calendar date at the port (rollout dates are port-local)."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(encounter.port.timezone)
    return timezone.localtime(encounter.occurred_at, tz).date()


def profile_for_case(case: Case, encounter: Encounter, flags: Mapping[str, Any]) -> (
        domain.ScreeningProfile):
    """A profile from what intake recorded (port, dates, nationality, family type) plus the
    officer's answers in `flags` (booleans, fear_of_return, port_director_exclusion)."""
    person = case.person
    family_type = encounter.family_type
    values: dict[str, Any] = {
        "port": encounter.port.slug,
        "encounter_date": encounter_local_date(encounter),
        "date_of_birth": person.date_of_birth,
        "nationality": person.nationality,
        "family_type": family_type,
    }
    for key in domain.FLAG_KEYS:
        values[key] = bool(flags.get(key, False))
    values["fear_of_return"] = flags.get("fear_of_return") or domain.FearOfReturn.NONE
    values["fear_interview_outcome"] = None
    reason = flags.get("port_director_exclusion")
    values["port_director_exclusion"] = reason.strip() if isinstance(reason, str) and \
        reason.strip() else None
    return domain.ScreeningProfile(**values)


@transaction.atomic
def rule_set_ensure_current(*, actor: Any = None) -> RuleSet:
    """The newest saved rule set; saves the built-in default as version 1 on first use, so
    every recorded decision names a version that exists."""
    row = rule_set_current_row()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = RuleSet.objects.create(
                version=1, definition=domain.DEFAULT_RULE_SET.definition(),
                note="Built-in default: San Ysidro history from 28 Jan 2019.")
    except IntegrityError:  # another request saved it first
        return RuleSet.objects.order_by("-version").first()  # type: ignore[return-value]
    audit.record(actor=actor, action="ruleset.create", obj=row, new={"version": 1})
    return row


@transaction.atomic
def rule_set_create(*, actor: Any, definition: Any, note: str = "") -> RuleSet:
    """Save an edit as a new version; earlier versions are never changed."""
    require(actor, Permission.RULESET_EDIT)
    current = RuleSet.objects.select_for_update().order_by("-version").first()
    version = (current.version + 1) if current else 1
    domain.RuleSet.from_definition(f"v{version}", definition)  # raises ruleset.invalid
    row = RuleSet.objects.create(version=version, definition=definition, note=note,
                                 created_by=actor)
    audit.record(actor=actor, action="ruleset.create", obj=row,
                 old={"version": current.version} if current else None,
                 new={"version": version, "definition": definition, "note": note})
    return row


def _reason_rows(reasons: tuple[domain.Reason, ...]) -> list[dict[str, str]]:
    return [{"code": r.code, "detail": r.detail} for r in reasons]


def _family_rows(reasons: tuple[domain.MemberReason, ...]) -> list[dict[str, Any]]:
    return [{"member": r.member, "name": r.name, "code": r.code, "detail": r.detail}
            for r in reasons]


def _record_decisions(
    *,
    actor: Any,
    encounter: Encounter,
    cases: list[Case],
    profiles: list[domain.ScreeningProfile],
    rules: domain.RuleSet,
    batch: uuid.UUID,
    now: dt.datetime,
) -> tuple[list[ScreeningDecision], domain.FamilyDecision]:
    names = [c.person.full_name for c in cases]
    family = domain.evaluate_family(profiles, rules, names=names)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor.get_username() if actor_user else (actor if isinstance(actor, str) else "system")
    rows = []
    for case, profile, own, applied in zip(cases, profiles, family.members,
                                           family.member_outcomes, strict=True):
        row = ScreeningDecision.objects.create(
            case=case, encounter=encounter, batch=batch, outcome=applied,
            individual_outcome=own.outcome, reasons=_reason_rows(own.reasons),
            family_outcome=family.outcome, family_reasons=_family_rows(family.reasons),
            family_policy=family.policy, rule_set_version=rules.version,
            profile=profile.as_dict(), decided_by=actor_user, decided_by_label=label,
            decided_at=now,
        )
        audit.record(actor=actor, action="screening.decide", obj=row,
                     new={"case": case.a_number, "outcome": applied,
                          "reasons": [r.code for r in own.reasons],
                          "family_outcome": family.outcome, "policy": family.policy,
                          "rule_set": rules.version})
        rows.append(row)
    return rows, family


@transaction.atomic
def screen_encounter(
    *,
    actor: Any,
    encounter: Encounter,
    profiles_by_case: Mapping[int, domain.ScreeningProfile],
) -> list[ScreeningDecision]:
    """Decide every person of an encounter together, move each case, open fear claims for
    those who wait for an interview and refer unaccompanied children to ORR."""
    require(actor, Permission.SCREENING_DECIDE)
    cases = list(
        Case.objects.select_for_update().filter(person__encounter=encounter)
        .select_related("person").order_by("-person__is_head", "person__date_of_birth", "id")
    )
    if not cases:
        raise DomainError("screening.empty_family",
                          _("This encounter has nobody to screen."), field="profiles")
    keys = {int(getattr(k, "pk", k)) for k in profiles_by_case}
    by_id = {int(getattr(k, "pk", k)): v for k, v in profiles_by_case.items()}
    missing = [c for c in cases if c.pk not in keys]
    if missing or keys - {c.pk for c in cases}:
        raise DomainError(
            "screening.incomplete_family",
            _("Screen every person of the encounter together, and only them."),
            field="profiles",
        )
    already = [c for c in cases if c.status != CaseStatus.ENCOUNTERED]
    if already:
        raise Conflict("screening.already_screened",
                       _("%(a)s has already been screened.") % {"a": already[0].a_number})
    port_date = encounter_local_date(encounter)
    profiles = [by_id[c.pk] for c in cases]
    for p in profiles:
        if p.port != encounter.port.slug or p.encounter_date != port_date:
            raise DomainError("screening.profile_mismatch",
                              _("The profile does not match the encounter's port and date."),
                              field="profiles")
        if p.port_director_exclusion and not has(actor, Permission.PORT_DIRECTOR_EXCLUDE):
            raise PermissionDenied(
                _("Only the Port Director can exclude a person at their discretion."),
                code="screening.director_only",
            )
        if p.fear_interview_outcome is not None:
            raise DomainError("screening.fear_outcome_at_screening",
                              _("Only an asylum officer records a fear interview outcome."),
                              field="fear_interview_outcome")
    rules = rule_set_ensure_current(actor=actor).to_domain()
    now = timezone.now()
    rows, _family = _record_decisions(actor=actor, encounter=encounter, cases=cases,
                                      profiles=profiles, rules=rules, batch=uuid.uuid4(),
                                      now=now)
    for case, row, profile in zip(cases, rows, profiles, strict=True):
        case_transition(actor=actor, case=case, to=row.outcome,
                        reason=f"screening decision {row.pk}")
        if row.outcome == domain.Outcome.PENDING_FEAR_INTERVIEW and profile.fear_claimed:
            claim = FearClaim.objects.create(
                case=case, how=profile.fear_of_return, raised_at=now, raised_by=row.decided_by,
                decision=row, status_before=CaseStatus.ENCOUNTERED, moved_case=True,
            )
            audit.record(actor=actor, action="fear.raise", obj=claim,
                         new={"case": case.a_number, "how": claim.how, "at": "screening"})
        if any(r["code"] == domain.Code.UNACCOMPANIED_CHILD for r in row.reasons):
            ref = OrrReferral.objects.create(case=case, created_at=now,
                                             deadline=now + ORR_DEADLINE,
                                             created_by=row.decided_by)
            audit.record(actor=actor, action="orr.refer", obj=ref,
                         new={"case": case.a_number, "deadline": ref.deadline})
    return rows


@transaction.atomic
def decision_approve(*, actor: Any, decision: ScreeningDecision) -> ScreeningDecision:
    """A supervisor or the Port Director approves a decision someone else made."""
    require(actor, Permission.SCREENING_APPROVE)
    decision = ScreeningDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.decided_by_id is not None and decision.decided_by_id == actor.pk:
        raise PermissionDenied(_("A decision must be approved by someone other than the "
                                 "officer who made it."), code="screening.self_approval")
    if decision.approved_at is not None:
        raise Conflict("screening.already_approved", _("This decision is already approved."))
    decision.approved_by = actor
    decision.approved_at = timezone.now()
    decision.save(update_fields=["approved_by", "approved_at"])
    audit.record(actor=actor, action="screening.approve", obj=decision,
                 new={"approved_by": actor.get_username(), "outcome": decision.outcome})
    return decision


@transaction.atomic
def fear_claim_raise(*, actor: Any, case: Case, how: str) -> FearClaim:
    """Record fear of return at any point (after an NTA, on a hearing day ...): the case
    waits for an interview and cannot be returned to Mexico while the claim is open."""
    require(actor, Permission.FEAR_CLAIM_RAISE)
    from garita.intake.selectors import case_get_for

    case = case_get_for(actor, case_id=case.pk)  # scoped: a representative's own clients
    if how not in (domain.FearOfReturn.VOLUNTEERED, domain.FearOfReturn.ASKED):
        raise DomainError("fear.bad_how", _("Say whether fear was volunteered or asked."),
                          field="how")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if FearClaim.objects.filter(case=case, status=FearStatus.OPEN).exists():
        raise Conflict("fear.already_open", _("This person already has an open fear claim."))
    before = case.status
    moved = can_transition(before, CaseStatus.PENDING_FEAR_INTERVIEW)
    try:
        with transaction.atomic():
            claim = FearClaim.objects.create(
                case=case, how=how, raised_at=timezone.now(),
                raised_by=actor if getattr(actor, "is_authenticated", False) else None,
                status_before=before, moved_case=moved,
            )
    except IntegrityError:
        raise Conflict("fear.already_open",
                       _("This person already has an open fear claim.")) from None
    audit.record(actor=actor, action="fear.raise", obj=claim,
                 new={"case": case.a_number, "how": how, "status_before": before})
    if moved:
        case_transition(actor=actor, case=case, to=CaseStatus.PENDING_FEAR_INTERVIEW,
                        reason=f"fear claim {claim.pk}")
    return claim


def _member_fear_outcome(case_id: int, batch: uuid.UUID) -> str | None:
    claim = (FearClaim.objects.filter(case_id=case_id, decision__batch=batch)
             .order_by("-raised_at", "-id").first())
    if claim is None or claim.status == FearStatus.OPEN:
        return None
    return claim.status


@transaction.atomic
def fear_interview_record(*, actor: Any, claim: FearClaim, outcome: str,
                          notes: str = "") -> FearClaim:
    """An asylum officer's non-refoulement interview outcome (positive, negative, closed)."""
    require(actor, Permission.FEAR_INTERVIEW_RECORD)
    if outcome not in set(domain.FearOutcome):
        raise DomainError("fear.bad_outcome",
                          _("The outcome must be positive, negative or closed."),
                          field="outcome")
    claim = FearClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != FearStatus.OPEN:
        raise Conflict("fear.not_open", _("This fear claim has already been decided."))
    old = claim.status
    claim.status = outcome
    claim.interviewed_by = actor
    claim.interview_at = timezone.now()
    claim.notes = notes
    claim.save(update_fields=["status", "interviewed_by", "interview_at", "notes"])
    audit.record(actor=actor, action="fear.interview", obj=claim,
                 old={"status": old}, new={"status": outcome})
    if claim.decision is not None:
        _redecide_after_interview(actor=actor, claim=claim)
    else:
        _move_claimant(actor=actor, claim=claim, outcome=outcome)
    return claim


def _move_claimant(*, actor: Any, claim: FearClaim, outcome: str) -> None:
    case = Case.objects.get(pk=claim.case_id)
    if not claim.moved_case or case.status != CaseStatus.PENDING_FEAR_INTERVIEW:
        return
    to = status_after_fear_interview(claim.status_before, outcome)
    case_transition(actor=actor, case=case, to=to, reason=f"fear interview {claim.pk}")


def _redecide_after_interview(*, actor: Any, claim: FearClaim) -> None:
    """Decide the claimant's family again with the interview outcome and the same rule set:
    the family stays together, and waits while any member's claim is open."""
    first = claim.decision
    assert first is not None
    batch = first.batch
    latest: dict[int, ScreeningDecision] = {}
    for d in ScreeningDecision.objects.filter(batch=batch).order_by("decided_at", "id"):
        latest[d.case_id] = d
    cases = list(Case.objects.select_related("person").filter(pk__in=latest)
                 .order_by("-person__is_head", "person__date_of_birth", "id"))
    profiles = []
    for case in cases:
        p = domain.ScreeningProfile.from_dict(latest[case.pk].profile)
        outcome = _member_fear_outcome(case.pk, batch) if p.fear_claimed else None
        profiles.append(p.replace(fear_interview_outcome=outcome))
    rules = rule_set_by_version(first.rule_set_version)
    rows, _family = _record_decisions(actor=actor, encounter=first.encounter, cases=cases,
                                      profiles=profiles, rules=rules, batch=batch,
                                      now=timezone.now())
    for case, row in zip(cases, rows, strict=True):
        if case.status == CaseStatus.PENDING_FEAR_INTERVIEW and row.outcome != case.status:
            case_transition(actor=actor, case=case, to=row.outcome,
                            reason=f"fear interview {claim.pk}")
