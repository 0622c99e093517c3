"""Admin for the reference data an administrator edits: courts, locations, judges, sessions,
interpreters, port settings and scheduling priorities. Hearings themselves change only
through the services (audited), so they are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from garita.hearings import models as m


@admin.register(m.Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone")
    filter_horizontal = ("fed_by_ports",)


@admin.register(m.HearingLocation)
class HearingLocationAdmin(admin.ModelAdmin):
    list_display = ("name", "court", "timezone", "video_to_court")


@admin.register(m.Judge)
class JudgeAdmin(admin.ModelAdmin):
    list_display = ("name", "court", "active")
    list_filter = ("court", "active")


@admin.register(m.CourtSession)
class CourtSessionAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "location", "judge", "calendar", "capacity", "cancelled")
    list_filter = ("location", "calendar", "cancelled")
    date_hierarchy = "starts_at"


@admin.register(m.InterpreterAvailability)
class InterpreterAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("court", "language", "mode", "date", "weekdays", "available")
    list_filter = ("court", "language", "mode")


@admin.register(m.PortHearingSettings)
class PortHearingSettingsAdmin(admin.ModelAdmin):
    list_display = ("port", "court", "location", "report_lead_minutes",
                    "escort_persons_per_run", "escort_runs_per_morning")


@admin.register(m.SchedulingPolicy)
class SchedulingPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority_flags", "horizon_days")


@admin.register(m.CasePriorityFlag)
class CasePriorityFlagAdmin(admin.ModelAdmin):
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
