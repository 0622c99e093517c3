"""Reads of screening data. `has_open_fear_claim(case)` is the guard that keeps anyone with
an open fear-of-return claim from being returned to Mexico."""

from __future__ import annotations

from garita.intake.models import Case, CaseStatus


def has_open_fear_claim(case: Case) -> bool:
    # Conservative until fear claims have their own model: the pending status is the claim.
    return case.status == CaseStatus.PENDING_FEAR_INTERVIEW
