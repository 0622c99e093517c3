"""Screening services on a real database: decisions, approvals, fear claims, ORR, roles, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.core.errors import DomainError
from garita.intake.models import Case, CaseStatus
from garita.intake.services import case_transition
from garita.screening import selectors, services
from garita.screening.models import (
    FearClaim,
    OrrReferral,
    RuleSet,
    ScreeningDecision,
)
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db


def screen(actor, cases, **flags_by_index):
    encounter = cases[0].person.encounter
    profiles = {
        c.pk: services.profile_for_case(c, encounter, flags_by_index.get(f"p{i}", {}))
        for i, c in enumerate(cases)
    }
    return services.screen_encounter(actor=actor, encounter=encounter, profiles_by_case=profiles)


def refresh(cases):
    return [Case.objects.get(pk=c.pk) for c in cases]


def actions():
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_a_single_honduran_adult_is_amenable_and_the_decision_is_recorded(users):
    case = make_case(status="encountered")
    [d] = screen(users["port_officer"], [case])
    assert d.outcome == "amenable" and d.reasons == []
    assert d.rule_set_version == "v1" and RuleSet.objects.get().version == 1
    assert d.decided_by == users["port_officer"] and d.approved_by is None
    assert d.profile["nationality"] == "HND"
    assert Case.objects.get(pk=case.pk).status == "amenable"
    assert {"screening.decide", "case.transition"} <= set(actions())


def test_a_family_with_one_excluded_member_is_processed_together_in_the_us(users):
    family = make_family(4, status="encountered")
    rows = screen(users["port_officer"], family, p1={"known_health_issue": True})
    assert {d.outcome for d in rows} == {"not_amenable"}
    assert [d.individual_outcome for d in rows].count("amenable") == 3
    assert rows[0].family_reasons == [
        {"member": 1, "name": family[1].person.full_name, "code": "HEALTH", "detail": ""}]
    assert {d.family_policy for d in rows} == {"keep_together"}
    assert {c.status for c in refresh(family)} == {"not_amenable"}


def test_an_unaccompanied_child_is_referred_to_orr_within_72_hours(users):
    child = make_case(status="encountered", family_type="unaccompanied_child",
                      date_of_birth=dt.date(2010, 4, 4))
    [d] = screen(users["port_officer"], [child])
    assert d.outcome == "not_amenable"
    assert "UNACCOMPANIED_CHILD" in [r["code"] for r in d.reasons]
    ref = OrrReferral.objects.get(case=child)
    assert ref.deadline - ref.created_at == dt.timedelta(hours=72)
    assert "orr.refer" in actions()


def test_fear_at_screening_opens_a_claim_and_the_family_waits(users):
    family = make_family(3, status="encountered")
    rows = screen(users["port_officer"], family, p0={"fear_of_return": "asked"})
    assert {d.outcome for d in rows} == {"pending_fear_interview"}
    claim = FearClaim.objects.get()
    assert claim.case_id == family[0].pk and claim.how == "asked" and claim.status == "open"
    assert selectors.has_open_fear_claim(family[0])
    assert {c.status for c in refresh(family)} == {"pending_fear_interview"}


@pytest.mark.parametrize(("outcome", "status"), [("positive", "not_amenable"),
                                                  ("negative", "amenable"),
                                                  ("closed", "amenable")])
def test_the_interview_outcome_decides_the_whole_family_again(users, outcome, status):
    family = make_family(2, status="encountered")
    screen(users["port_officer"], family, p0={"fear_of_return": "volunteered"})
    claim = FearClaim.objects.get()
    services.fear_interview_record(actor=users["asylum_officer"], claim=claim, outcome=outcome,
                                   notes="Entrevista en español.")
    claim.refresh_from_db()
    assert claim.status == outcome and claim.interviewed_by == users["asylum_officer"]
    assert not selectors.has_open_fear_claim(family[0])
    assert {c.status for c in refresh(family)} == {status}
    latest = ScreeningDecision.objects.filter(case=family[0]).order_by("-id").first()
    assert latest.profile["fear_interview_outcome"] == outcome
    assert latest.decided_by == users["asylum_officer"]
    if outcome == "positive":
        assert [r["code"] for r in latest.reasons] == ["FEAR_POSITIVE"]


def test_only_an_asylum_officer_records_an_interview(users):
    case = make_case(status="encountered")
    screen(users["port_officer"], [case], p0={"fear_of_return": "asked"})
    claim = FearClaim.objects.get()
    for role in ("port_officer", "supervisor", "port_director", "court_clerk", "analyst"):
        with pytest.raises(DomainError) as err:
            services.fear_interview_record(actor=users[role], claim=claim, outcome="negative")
        assert err.value.code == "permission.denied"
    claim.refresh_from_db()
    assert claim.status == "open"


def test_a_bad_interview_outcome_is_refused_and_nothing_changes(users):
    case = make_case(status="encountered")
    screen(users["port_officer"], [case], p0={"fear_of_return": "asked"})
    claim = FearClaim.objects.get()
    with pytest.raises(DomainError) as err:
        services.fear_interview_record(actor=users["asylum_officer"], claim=claim,
                                       outcome="granted")
    assert err.value.code == "fear.bad_outcome" and err.value.field == "outcome"
    claim.refresh_from_db()
    assert claim.status == "open"


def test_a_case_with_an_open_claim_cannot_be_returned_to_mexico(users):
    case = make_case(status="nta_issued")
    services.fear_claim_raise(actor=users["port_officer"], case=case, how="volunteered")
    case.refresh_from_db()
    assert case.status == "pending_fear_interview"
    with pytest.raises(DomainError) as err:
        case_transition(actor=users["port_officer"], case=case, to="returned_to_mexico")
    assert err.value.code in {"case.open_fear_claim", "case.bad_transition"}
    # Even where the transition table would allow it, the open claim blocks the return.
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.NTA_ISSUED)
    with pytest.raises(DomainError) as err:
        case_transition(actor=users["port_officer"], case=case, to="returned_to_mexico")
    assert err.value.code == "case.open_fear_claim"
    assert Case.objects.get(pk=case.pk).status == "nta_issued"


def test_fear_can_be_raised_on_a_hearing_day_and_twice_is_refused(users):
    case = make_case(status="in_proceedings")
    claim = services.fear_claim_raise(actor=users["court_clerk"], case=case, how="volunteered")
    assert claim.status_before == "in_proceedings" and claim.moved_case
    with pytest.raises(DomainError) as err:
        services.fear_claim_raise(actor=users["court_clerk"], case=case, how="asked")
    assert err.value.code == "fear.already_open"
    assert FearClaim.objects.filter(case=case).count() == 1
    services.fear_interview_record(actor=users["asylum_officer"], claim=claim,
                                   outcome="positive")
    # Positive after an NTA: off MPP, proceedings go on from inside the US.
    assert Case.objects.get(pk=case.pk).status == "removed_from_mpp"


@pytest.mark.parametrize("before", ["nta_issued", "returned_to_mexico", "in_proceedings"])
@pytest.mark.parametrize("outcome", ["negative", "closed"])
def test_a_claim_after_the_nta_not_upheld_returns_the_case_where_it_was(users, before,
                                                                        outcome):
    case = make_case(status=before)
    claim = services.fear_claim_raise(actor=users["port_officer"], case=case, how="asked")
    assert Case.objects.get(pk=case.pk).status == "pending_fear_interview"
    services.fear_interview_record(actor=users["asylum_officer"], claim=claim,
                                   outcome=outcome)
    case.refresh_from_db()
    assert case.status == before  # never back to "amenable", as if screening began again
    assert not selectors.has_open_fear_claim(case)


def test_a_claim_before_the_nta_still_decides_amenability(users):
    case = make_case(status="amenable")
    claim = services.fear_claim_raise(actor=users["port_officer"], case=case, how="asked")
    services.fear_interview_record(actor=users["asylum_officer"], claim=claim,
                                   outcome="negative")
    assert Case.objects.get(pk=case.pk).status == "amenable"
    claim = services.fear_claim_raise(actor=users["port_officer"], case=case,
                                      how="volunteered")
    services.fear_interview_record(actor=users["asylum_officer"], claim=claim,
                                   outcome="positive")
    assert Case.objects.get(pk=case.pk).status == "not_amenable"


def test_an_analyst_or_shelter_cannot_raise_fear(users):
    case = make_case()
    for role in ("analyst", "shelter_staff"):
        with pytest.raises(DomainError):
            services.fear_claim_raise(actor=users[role], case=case, how="asked")
    assert not FearClaim.objects.exists()


def test_approval_by_a_supervisor_other_than_the_decider(users):
    case = make_case(status="encountered")
    [d] = screen(users["supervisor"], [case])
    with pytest.raises(DomainError) as err:
        services.decision_approve(actor=users["supervisor"], decision=d)
    assert err.value.code == "screening.self_approval"
    with pytest.raises(DomainError) as err:
        services.decision_approve(actor=users["port_officer"], decision=d)
    assert err.value.code == "permission.denied"
    services.decision_approve(actor=users["port_director"], decision=d)
    d.refresh_from_db()
    assert d.approved_by == users["port_director"] and d.approved_at is not None
    with pytest.raises(DomainError) as err:
        services.decision_approve(actor=users["port_director"], decision=d)
    assert err.value.code == "screening.already_approved"
    assert "screening.approve" in actions()


def test_only_the_port_director_excludes_at_discretion_with_a_written_reason(users):
    case = make_case(status="encountered")
    with pytest.raises(DomainError) as err:
        screen(users["port_officer"], [case], p0={"port_director_exclusion": "Testigo"})
    assert err.value.code == "screening.director_only"
    assert not ScreeningDecision.objects.exists()
    [d] = screen(users["port_director"], [case], p0={"port_director_exclusion": "Testigo"})
    assert d.reasons == [{"code": "PORT_DIRECTOR_DISCRETION", "detail": "Testigo"}]


def test_screening_twice_or_half_a_family_is_refused_and_nothing_is_half_written(users):
    family = make_family(3, status="encountered")
    encounter = family[0].person.encounter
    partial = {family[0].pk: services.profile_for_case(family[0], encounter, {})}
    with pytest.raises(DomainError) as err:
        services.screen_encounter(actor=users["port_officer"], encounter=encounter,
                                  profiles_by_case=partial)
    assert err.value.code == "screening.incomplete_family"
    assert not ScreeningDecision.objects.exists()
    screen(users["port_officer"], family)
    with pytest.raises(DomainError) as err:
        screen(users["port_officer"], family)
    assert err.value.code == "screening.already_screened"
    assert ScreeningDecision.objects.count() == 3


def test_roles_without_screening_permission_cannot_decide(users):
    case = make_case(status="encountered")
    for role in ("analyst", "court_clerk", "shelter_staff", "asylum_officer", "judge"):
        with pytest.raises(DomainError) as err:
            screen(users[role], [case])
        assert err.value.code == "permission.denied"
    assert Case.objects.get(pk=case.pk).status == "encountered"


def test_reading_a_case_screening_is_audited_and_fear_data_is_need_to_know(users):
    case = make_case(status="encountered")
    screen(users["port_officer"], [case], p0={"fear_of_return": "asked"})
    before = AuditEvent.objects.count()
    view = selectors.case_screening_for(users["port_officer"], a_number=case.a_number)
    assert len(view.decisions) == 1 and view.fear_claims is None  # officers: no fear data
    assert AuditEvent.objects.count() == before + 1
    view = selectors.case_screening_for(users["asylum_officer"], a_number=case.a_number)
    assert len(view.fear_claims) == 1
    reads = list(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True))
    assert reads == ["screening.read", "screening.read", "fear.read"]
    for role in ("analyst", "court_clerk", "shelter_staff", "judge"):
        with pytest.raises(DomainError) as err:
            selectors.case_screening_for(users[role], a_number=case.a_number)
        assert err.value.status in (403, 404)


def test_a_representative_sees_only_their_own_clients(users):
    from garita.intake.models import Appearance

    case = make_case(status="encountered")
    screen(users["port_officer"], [case])
    lawyer = users["legal_representative"]
    with pytest.raises(DomainError) as err:
        selectors.case_screening_for(lawyer, a_number=case.a_number)
    assert err.value.code == "case.not_found"
    Appearance.objects.create(case=case, representative=lawyer, filed_at=timezone.now())
    assert len(selectors.case_screening_for(lawyer, a_number=case.a_number).decisions) == 1


def test_a_rule_set_edit_is_a_new_version_and_decisions_keep_theirs(users):
    from garita.screening.domain import DEFAULT_RULE_SET

    first = make_case(status="encountered", nationality="BRA")
    [d1] = screen(users["port_officer"], [first])
    assert [r["code"] for r in d1.reasons] == ["NOT_ENROLLING"]
    definition = DEFAULT_RULE_SET.definition()
    definition["windows"].append({"port": "san-ysidro", "from": "2019-01-01", "to": None,
                                  "nationalities": ["BRA"], "family_types": ["single_adult"]})
    row = services.rule_set_create(actor=users["administrator"], definition=definition,
                                   note="Brazil")
    assert row.version == 2
    second = make_case(status="encountered", nationality="BRA")
    [d2] = screen(users["port_officer"], [second])
    assert d2.outcome == "amenable" and d2.rule_set_version == "v2"
    d1.refresh_from_db()
    assert d1.rule_set_version == "v1"
    assert RuleSet.objects.get(version=1).definition == DEFAULT_RULE_SET.definition()
    with pytest.raises(DomainError) as err:
        services.rule_set_create(actor=users["port_director"], definition=definition)
    assert err.value.code == "permission.denied"
    with pytest.raises(DomainError) as err:
        services.rule_set_create(actor=users["administrator"], definition={"windows": 3})
    assert err.value.code == "ruleset.invalid"
    assert RuleSet.objects.count() == 2


def test_queues_show_pending_approvals_and_open_claims(users):
    family = make_family(2, status="encountered")
    screen(users["port_officer"], family, p1={"fear_of_return": "asked"})
    assert len(selectors.approvals_pending_for(users["supervisor"])) == 2
    assert len(selectors.fear_claims_open_for(users["asylum_officer"])) == 1
    with pytest.raises(DomainError):
        selectors.fear_claims_open_for(users["port_officer"])
    with pytest.raises(DomainError):
        selectors.approvals_pending_for(users["port_officer"])
    assert {"screening.queue.read", "fear.queue.read"} <= set(actions())


def test_the_audit_chain_still_verifies_after_screening(users):
    from garita.audit.selectors import verify_chain

    family = make_family(2, status="encountered")
    screen(users["port_officer"], family, p0={"fear_of_return": "asked"})
    assert verify_chain().ok
