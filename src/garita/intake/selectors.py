"""Who may see which case: need-to-know scoping on top of the role permissions.

Legal representatives see only cases where they have an active appearance (EOIR-28);
shelter staff only residents who consented in writing to share with their shelter.
Reads of contact details are audited (`contact.read` on the case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission, Role
from garita.audit import services as audit
from garita.audit.models import AuditEvent
from garita.core.errors import DomainError, NotFound
from garita.intake.anumber import parse_anumber
from garita.intake.models import Address, Appearance, Case, Consent, ContactPoint

MAX_PAGE_SIZE = 100


def cases_visible_to(actor: Any) -> QuerySet[Case]:
    require(actor, Permission.CASE_VIEW)
    qs = Case.objects.select_related("person", "port")
    if actor.role == Role.LEGAL_REPRESENTATIVE:
        active = Appearance.objects.filter(
            case=OuterRef("pk"), representative=actor, withdrawn_at__isnull=True
        )
        return qs.filter(Exists(active))
    if actor.role == Role.SHELTER_STAFF:
        if actor.shelter_id is None:
            return qs.none()
        consented = Consent.objects.filter(
            case=OuterRef("pk"), grantee_type=Consent.Grantee.SHELTER,
            shelter_id=actor.shelter_id, revoked_at__isnull=True,
        )
        return qs.filter(Exists(consented))
    return qs


def case_get_for(actor: Any, *, a_number: str | None = None, case_id: int | None = None) -> Case:
    """The case if this actor may see it; otherwise NotFound (never reveal it exists)."""
    qs = cases_visible_to(actor)
    if a_number is not None:
        qs = qs.filter(a_number=parse_anumber(a_number))
    elif case_id is not None:
        qs = qs.filter(pk=case_id)
    else:
        raise NotFound("case.not_found")
    case = qs.first()
    if case is None:
        raise NotFound("case.not_found")
    return case


def case_search_filter(text: str) -> Q:
    """An A-number in any spelling matches exactly; otherwise every word must match a name."""
    text = text.strip()
    try:
        return Q(a_number=parse_anumber(text))
    except DomainError:
        pass
    q = Q()
    for word in text.split()[:6]:
        q &= Q(person__surnames__icontains=word) | Q(person__given_names__icontains=word)
    return q


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def case_search(
    actor: Any, *, q: str = "", status: str = "", page: int = 1, per_page: int = 25
) -> CasePage:
    """One page of the cases this actor may see, newest first."""
    qs = cases_visible_to(actor)
    if q.strip():
        qs = qs.filter(case_search_filter(q[:200]))
    if status:
        qs = qs.filter(status=status)
    per_page = max(1, min(int(per_page), MAX_PAGE_SIZE))
    total = qs.count()
    # A page past the end answers the last page (and says which), so that no page number,
    # however large, reaches the database as an offset it cannot hold.
    page = max(1, min(int(page), -(-total // per_page) or 1))
    items = list(qs.order_by("-created_at", "-id")[(page - 1) * per_page: page * per_page])
    return CasePage(items=items, page=page, per_page=per_page, total=total)


def case_addresses(actor: Any, case: Case) -> list[Address]:
    return list(case.addresses.select_related("shelter"))


def case_contacts(actor: Any, case: Case) -> list[ContactPoint]:
    """Contact details are protected: only some roles, and every read is audited."""
    require(actor, Permission.CONTACT_VIEW)
    rows = list(case.contacts.all())
    audit.record_read(actor=actor, obj=case, what="contact")
    return rows


def case_appearances(actor: Any, case: Case) -> list[Appearance]:
    qs = case.appearances.select_related("representative").order_by("-filed_at")
    if actor.role == Role.LEGAL_REPRESENTATIVE:
        qs = qs.filter(representative=actor)
    return list(qs)


def case_consents(actor: Any, case: Case) -> list[Consent]:
    qs = case.consents.select_related("shelter", "representative").order_by("-given_at")
    if actor.role == Role.SHELTER_STAFF:
        qs = qs.filter(shelter_id=actor.shelter_id)
    return list(qs)


def case_history(actor: Any, case: Case) -> list[AuditEvent]:
    """The case's audit trail (who did what, when), for government staff only."""
    if not has(actor, Permission.CASE_HISTORY_VIEW):
        return []
    return list(AuditEvent.objects.filter(
        Q(object_type="intake.case", object_id=str(case.pk))
        | Q(object_type="intake.encounter", object_id=str(case.person.encounter_id))
    ).order_by("seq")[:500])


def encounter_cases(actor: Any, encounter_id: int) -> list[Case]:
    cases = list(cases_visible_to(actor).filter(person__encounter_id=encounter_id)
                 .order_by("-person__is_head", "person__date_of_birth"))
    if not cases:
        raise NotFound("encounter.not_found")
    return cases
