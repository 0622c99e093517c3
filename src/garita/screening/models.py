"""Screening records: versioned rule sets, decisions with reasons, fear claims, ORR referrals.

A RuleSet row is never changed once saved (an edit is a new version); a decision keeps the
rule-set version, the profile it judged, who decided and who approved; a case has at most one
open fear claim, and an open claim blocks any return to Mexico.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from garita.screening import domain


class RuleSet(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    definition = models.JSONField(_("definition"))
    note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("screening rule set")
        verbose_name_plural = _("screening rule sets")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"v{self.version}"

    def to_domain(self) -> domain.RuleSet:
        return domain.RuleSet.from_definition(self.label, self.definition)


class Outcome(models.TextChoices):
    AMENABLE = "amenable", _("Amenable to MPP")
    NOT_AMENABLE = "not_amenable", _("Not amenable: processed in the US")
    PENDING_FEAR_INTERVIEW = "pending_fear_interview", _("Waiting for a fear interview")


class ScreeningDecision(models.Model):
    case = models.ForeignKey(
        "intake.Case", on_delete=models.PROTECT, related_name="screening_decisions",
        verbose_name=_("case"),
    )
    encounter = models.ForeignKey(
        "intake.Encounter", on_delete=models.PROTECT, related_name="screening_decisions",
        verbose_name=_("encounter"),
    )
    # Decisions made together (a family screened at once, and their re-decisions after a
    # fear interview) share a batch.
    batch = models.UUIDField(default=uuid.uuid4, db_index=True)
    # The outcome that applies to the person (after the family policy) ...
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices)
    # ... and the person's own outcome before the family policy.
    individual_outcome = models.CharField(max_length=32, choices=Outcome.choices)
    reasons = models.JSONField(_("reasons"), default=list)  # [{"code", "detail"}]
    family_outcome = models.CharField(max_length=32, choices=Outcome.choices)
    family_reasons = models.JSONField(default=list)  # [{"member", "name", "code", "detail"}]
    family_policy = models.CharField(_("family policy"), max_length=32)
    rule_set_version = models.CharField(_("rule-set version"), max_length=32)
    profile = models.JSONField(_("profile"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_by_label = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("screening decision")
        verbose_name_plural = _("screening decisions")
        indexes = [models.Index(fields=["approved_at", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"

    def reason_items(self) -> list[dict[str, Any]]:
        """Reasons with their message in the current language."""
        return [
            {"code": r["code"], "message": domain.reason_message(r["code"]),
             "detail": r.get("detail", "")}
            for r in self.reasons
        ]

    def family_reason_items(self) -> list[dict[str, Any]]:
        return [
            {**r, "message": family_reason_message(r["code"])} for r in self.family_reasons
        ]


def family_reason_message(code: str) -> Any:
    if code == "FEAR_CLAIM_OPEN":
        return _("Expressed fear of return: waiting for an asylum officer's interview.")
    return domain.reason_message(code)


class FearHow(models.TextChoices):
    VOLUNTEERED = "volunteered", _("Volunteered by the person")
    ASKED = "asked", _("Said yes when asked")


class FearStatus(models.TextChoices):
    OPEN = "open", _("Open: waiting for an interview")
    POSITIVE = "positive", _("Positive: more likely than not")
    NEGATIVE = "negative", _("Negative")
    CLOSED = "closed", _("Closed without a finding")


class FearClaim(models.Model):
    case = models.ForeignKey(
        "intake.Case", on_delete=models.PROTECT, related_name="fear_claims",
        verbose_name=_("case"),
    )
    how = models.CharField(_("how"), max_length=16, choices=FearHow.choices)
    raised_at = models.DateTimeField(_("raised at"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("raised by"),
    )
    # The screening decision that found the claim (null when raised later, e.g. at a hearing).
    decision = models.ForeignKey(
        ScreeningDecision, null=True, blank=True, on_delete=models.PROTECT,
        related_name="fear_claims",
    )
    # The case status when the claim was raised, and whether the claim moved the case.
    status_before = models.CharField(max_length=32, blank=True)
    moved_case = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=FearStatus.choices, default=FearStatus.OPEN,
        db_index=True,
    )
    interviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("asylum officer"),
    )
    interview_at = models.DateTimeField(_("interviewed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("fear claim")
        verbose_name_plural = _("fear claims")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open"), name="one_open_fear_claim_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.status}"


class OrrStatus(models.TextChoices):
    OPEN = "open", _("Open: waiting for ORR placement")
    PLACED = "placed", _("Placed in ORR custody")
    CANCELLED = "cancelled", _("Cancelled")


class OrrReferral(models.Model):
    """An unaccompanied child's referral to HHS/ORR custody, due within 72 hours (TVPRA)."""

    case = models.ForeignKey(
        "intake.Case", on_delete=models.PROTECT, related_name="orr_referrals",
        verbose_name=_("case"),
    )
    created_at = models.DateTimeField(_("created at"))
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=OrrStatus.choices, default=OrrStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["deadline"]
        verbose_name = _("ORR referral")
        verbose_name_plural = _("ORR referrals")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.status}"
