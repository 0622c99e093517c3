"""Django admin for screening: rule sets are edited here (an edit saves a new version; old
versions are read-only), decisions, fear claims and ORR referrals are shown read-only."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from garita.core.errors import DomainError
from garita.screening import domain
from garita.screening.models import FearClaim, OrrReferral, RuleSet, ScreeningDecision


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = ["definition", "note"]

    def clean_definition(self) -> Any:
        data = self.cleaned_data["definition"]
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        try:
            domain.RuleSet.from_definition("check", data)
        except DomainError as exc:
            raise forms.ValidationError(f"{exc.field}: {exc.message}") from None
        return data


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ("label", "created_at", "created_by", "note")
    readonly_fields = ("version", "created_at", "created_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        # Never overwrite a version that decisions may cite: every save is a new version.
        from garita.screening.services import rule_set_create

        new = rule_set_create(actor=request.user, definition=form.cleaned_data["definition"],
                              note=form.cleaned_data.get("note", ""))
        obj.pk, obj.version = new.pk, new.version


class ReadOnlyAdmin(admin.ModelAdmin):
    """Protected data (8 CFR 208.6): shown read-only, and every view of it is audited."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from garita.audit import services as audit

        audit.record(actor=request.user, action=f"{self.model._meta.model_name}.list.read",
                     object_type=f"screening.{self.model._meta.model_name}")
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: Any = None) -> Any:
        from garita.audit import services as audit

        audit.record(actor=request.user, action=f"{self.model._meta.model_name}.read",
                     object_type=f"screening.{self.model._meta.model_name}",
                     object_id=object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(ReadOnlyAdmin):
    list_display = ("case", "outcome", "rule_set_version", "decided_by_label", "decided_at",
                    "approved_by", "approved_at")
    list_filter = ("outcome", "rule_set_version")


@admin.register(FearClaim)
class FearClaimAdmin(ReadOnlyAdmin):
    list_display = ("case", "how", "status", "raised_at", "interviewed_by", "interview_at")
    list_filter = ("status", "how")


@admin.register(OrrReferral)
class OrrReferralAdmin(ReadOnlyAdmin):
    list_display = ("case", "created_at", "deadline", "status")
    list_filter = ("status",)
