"""Admin for the reference data an administrator edits: courts, locations, judges, sessions,
interpreters, port settings and scheduling priorities. Hearings themselves change only
through the services (audited), so they are read-only here."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from garita.audit import services as audit
from garita.hearings import domain
from garita.hearings import models as m


def _valid_zone(value: str, *, blank: bool = False) -> str:
    """A time zone the scheduler can use: a bad one would break every time shown."""
    value = (value or "").strip()
    if blank and not value:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise forms.ValidationError(
            _("Not a time zone (use an IANA name such as America/Los_Angeles).")) from exc
    return value


def _facts(obj: Any) -> dict[str, Any]:
    """The row's own fields (foreign keys as ids) for the audit event."""
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}


class AuditedAdmin(admin.ModelAdmin):
    """Reference data edited here changes who is scheduled where: every save and delete is
    an audit event with the old and new values."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = None
        if change and obj.pk:
            before = type(obj).objects.filter(pk=obj.pk).first()
            old = _facts(before) if before is not None else None
        super().save_model(request, obj, form, change)
        audit.record(actor=request.user, action="reference.change" if change
                     else "reference.add", obj=obj, old=old, new=_facts(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(actor=request.user, action="reference.delete", obj=obj,
                     old=_facts(obj))
        super().delete_model(request, obj)


class CourtForm(forms.ModelForm):
    class Meta:
        model = m.Court
        fields = ["slug", "name", "timezone", "address", "phone", "legal_service_providers",
                  "fed_by_ports"]

    def clean_timezone(self) -> str:
        return _valid_zone(self.cleaned_data["timezone"])

    def clean_legal_service_providers(self) -> Any:
        value = self.cleaned_data["legal_service_providers"]
        if not isinstance(value, list) or not all(
                isinstance(p, dict) and str(p.get("name", "")).strip() for p in value):
            raise forms.ValidationError(
                _('A list of providers, each with a "name" (and "phone", "address").'))
        return value


@admin.register(m.Court)
class CourtAdmin(AuditedAdmin):
    form = CourtForm
    list_display = ("name", "slug", "timezone")
    filter_horizontal = ("fed_by_ports",)


class HearingLocationForm(forms.ModelForm):
    class Meta:
        model = m.HearingLocation
        fields = ["court", "slug", "name", "timezone", "address", "map_url", "video_to_court"]

    def clean_timezone(self) -> str:
        return _valid_zone(self.cleaned_data["timezone"], blank=True)


@admin.register(m.HearingLocation)
class HearingLocationAdmin(AuditedAdmin):
    form = HearingLocationForm
    list_display = ("name", "court", "timezone", "video_to_court")


@admin.register(m.Judge)
class JudgeAdmin(AuditedAdmin):
    list_display = ("name", "court", "active")
    list_filter = ("court", "active")


@admin.register(m.CourtSession)
class CourtSessionAdmin(AuditedAdmin):
    list_display = ("starts_at", "location", "judge", "calendar", "capacity", "cancelled")
    list_filter = ("location", "calendar", "cancelled")
    date_hierarchy = "starts_at"


class InterpreterAvailabilityForm(forms.ModelForm):
    class Meta:
        model = m.InterpreterAvailability
        fields = ["court", "language", "mode", "date", "weekdays", "available"]

    def clean_language(self) -> str:
        lang = self.cleaned_data["language"].strip().lower()
        if lang not in domain.KNOWN_LANGUAGES:
            raise forms.ValidationError(
                _("Unknown language code; use ISO 639-3: %(codes)s.")
                % {"codes": ", ".join(sorted(domain.KNOWN_LANGUAGES))})
        return lang

    def clean_weekdays(self) -> Any:
        value = self.cleaned_data["weekdays"] or []
        if not isinstance(value, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value):
            raise forms.ValidationError(_("A list of weekday numbers, 0 (Monday) to 6."))
        return sorted(set(value))


@admin.register(m.InterpreterAvailability)
class InterpreterAvailabilityAdmin(AuditedAdmin):
    form = InterpreterAvailabilityForm
    list_display = ("court", "language", "mode", "date", "weekdays", "available")
    list_filter = ("court", "language", "mode")


class PortHearingSettingsForm(forms.ModelForm):
    class Meta:
        model = m.PortHearingSettings
        fields = ["port", "court", "location", "report_lead_minutes", "escort_persons_per_run",
                  "escort_runs_per_morning"]

    def clean(self) -> dict[str, Any]:
        super().clean()  # a ModelForm's clean() returns its cleaned_data
        data = self.cleaned_data
        loc, court = data.get("location"), data.get("court")
        if loc is not None and court is not None and loc.court_id != court.pk:
            self.add_error("location", _("This location belongs to another court."))
        for name in ("escort_persons_per_run", "escort_runs_per_morning"):
            if data.get(name) == 0:
                self.add_error(name, _("At least 1."))
        return data


@admin.register(m.PortHearingSettings)
class PortHearingSettingsAdmin(AuditedAdmin):
    form = PortHearingSettingsForm
    list_display = ("port", "court", "location", "report_lead_minutes",
                    "escort_persons_per_run", "escort_runs_per_morning")


class SchedulingPolicyForm(forms.ModelForm):
    class Meta:
        model = m.SchedulingPolicy
        fields = ["priority_flags", "horizon_days"]

    def clean_priority_flags(self) -> Any:
        value = self.cleaned_data["priority_flags"] or []
        if not isinstance(value, list) or not all(isinstance(f, str) and f for f in value):
            raise forms.ValidationError(_("A list of flag names, most urgent first."))
        return value


@admin.register(m.SchedulingPolicy)
class SchedulingPolicyAdmin(AuditedAdmin):
    form = SchedulingPolicyForm
    list_display = ("priority_flags", "horizon_days")


@admin.register(m.CasePriorityFlag)
class CasePriorityFlagAdmin(AuditedAdmin):
    list_display = ("case", "flag", "note")
    raw_id_fields = ("case",)


@admin.register(m.Hearing)
class HearingAdmin(admin.ModelAdmin):
    list_display = ("case", "starts_at", "court", "status", "outcome")
    list_filter = ("court", "status", "outcome")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
