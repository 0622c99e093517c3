"""Writes on intake data. Every function is keyword-only, atomic, checks permissions and
writes an audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.audit import services as audit
from garita.core.errors import DomainError
from garita.intake.domain import can_transition
from garita.intake.models import Case, CaseStatus


@transaction.atomic
def case_transition(*, actor: Any, case: Case, to: str, reason: str = "") -> Case:
    """Move a case to another state. Callers check their own permission first."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == to:
        return case
    if not can_transition(case.status, to):
        raise DomainError(
            "case.bad_transition",
            _("A case cannot go from “%(from)s” to “%(to)s”.") % {"from": case.status, "to": to},
            status=409,
        )
    if to == CaseStatus.RETURNED_TO_MEXICO:
        from garita.screening.selectors import has_open_fear_claim

        if has_open_fear_claim(case):
            raise DomainError(
                "case.open_fear_claim",
                _("This person has an open fear-of-return claim and cannot be returned to Mexico."),
                status=409,
            )
    old = case.status
    case.status = to
    case.status_changed_at = timezone.now()
    case.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit.record(actor=actor, action="case.transition", obj=case,
                 old={"status": old}, new={"status": to, "reason": reason})
    return case
