"""Immigration courts, their sessions (dockets), and each case's hearings.

Times are stored in UTC; a court's `timezone` is how they are shown and noticed.
A Hearing always has a time and place (Pereira v. Sessions): both are non-null.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Court(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Los_Angeles")
    address = models.TextField(_("address"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Free legal service providers (name, phone, address) given with every NTA.
    legal_service_providers = models.JSONField(_("free legal service providers"), default=list)
    fed_by_ports = models.ManyToManyField("core.Port", blank=True, related_name="courts")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HearingLocation(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    map_url = models.URLField(_("map link"), blank=True)
    video_to_court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Tent courts: the judge appears by video from this court."),
    )

    def __str__(self) -> str:
        return self.name


class Judge(models.Model):
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="judges")
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class CalendarType(models.TextChoices):
    MASTER = "master", _("Master calendar")
    INDIVIDUAL = "individual", _("Individual (merits) calendar")


class CourtSession(models.Model):
    """One judge's block of hearings at a location: a docket with a capacity in cases."""

    location = models.ForeignKey(HearingLocation, on_delete=models.PROTECT, related_name="sessions")
    judge = models.ForeignKey(Judge, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    calendar = models.CharField(_("calendar"), max_length=16, choices=CalendarType.choices)
    capacity = models.PositiveIntegerField(_("capacity in cases"))

    class Meta:
        ordering = ["starts_at"]


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class Hearing(models.Model):
    case = models.ForeignKey("intake.Case", on_delete=models.PROTECT, related_name="hearings")
    session = models.ForeignKey(
        CourtSession, null=True, blank=True, on_delete=models.PROTECT, related_name="hearings"
    )
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="hearings")
    location = models.ForeignKey(HearingLocation, on_delete=models.PROTECT, related_name="+")
    calendar = models.CharField(max_length=16, choices=CalendarType.choices)
    starts_at = models.DateTimeField(_("hearing time"), db_index=True)
    # Where and when to report at the port (the tear sheet), for MPP returnees.
    report_port = models.ForeignKey(
        "core.Port", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_at = models.DateTimeField(_("report time"), null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=HearingStatus.choices, default=HearingStatus.SCHEDULED,
        db_index=True,
    )
    outcome = models.CharField(max_length=32, blank=True, db_index=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    noticed_at = models.DateTimeField(_("notice served at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["case", "status", "starts_at"])]
