"""Who may see which case: need-to-know scoping on top of the role permissions.

Legal representatives see only cases where they have an active appearance (EOIR-28);
shelter staff only residents who consented in writing to share with their shelter.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from garita.accounts.permissions import require
from garita.accounts.roles import Permission, Role
from garita.core.errors import NotFound
from garita.intake.anumber import parse_anumber
from garita.intake.models import Appearance, Case, Consent


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
    return Q(a_number__iexact=text) | Q(person__surnames__icontains=text) | Q(
        person__given_names__icontains=text
    )
