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
    slug = models.SlugField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    # Blank means the court's own time zone (tent courts are in the port's zone).
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    address = models.TextField(_("address"))
    map_url = models.URLField(_("map link"), blank=True)
    video_to_court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Tent courts: the judge appears by video from this court."),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> str:
        return self.timezone or self.court.timezone


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
    court = models.ForeignKey(
        Court, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["court", "calendar", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.location} {self.starts_at:%Y-%m-%d %H:%M} ({self.judge})"


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class InterpreterMode(models.TextChoices):
    NONE = "none", _("Not needed")
    IN_PERSON = "in_person", _("In person")
    REMOTE = "remote", _("Remote (telephone or video)")


class Outcome(models.TextChoices):
    APPEARED = "appeared", _("Appeared")
    DID_NOT_APPEAR = "did_not_appear", _("Did not appear")
    CONTINUED = "continued", _("Continued to a new date")
    RELIEF_GRANTED = "relief_granted", _("Relief granted")
    REMOVAL_ORDERED = "removal_ordered", _("Removal ordered in person")
    REMOVAL_IN_ABSENTIA = "removal_in_absentia", _("Removal ordered in absentia")
    TERMINATED = "terminated", _("Proceedings terminated")
    TAKEN_OFF_MPP = "taken_off_mpp", _("Taken off MPP")


class Relief(models.TextChoices):
    ASYLUM = "asylum", _("Asylum")
    WITHHOLDING = "withholding", _("Withholding of removal")
    CAT = "cat", _("Protection under the Convention Against Torture")


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
    language = models.CharField(_("language"), max_length=8, default="spa")
    interpreter_mode = models.CharField(
        _("interpreter"), max_length=16, choices=InterpreterMode.choices, blank=True
    )
    family_key = models.CharField(max_length=32, blank=True, db_index=True)
    served_at = models.DateTimeField(_("NTA served at (for the 10-day rule)"), null=True,
                                     blank=True)
    waiver = models.BooleanField(_("earlier hearing requested in writing"), default=False)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="continuations"
    )
    # Hearing day at the port and the court.
    checked_in_at = models.DateTimeField(_("checked in at the port"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escort_run = models.ForeignKey(
        "EscortRun", null=True, blank=True, on_delete=models.PROTECT, related_name="hearings"
    )
    arrived_at_court_at = models.DateTimeField(_("arrived at court"), null=True, blank=True)
    relief = models.CharField(_("relief"), max_length=16, choices=Relief.choices, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_notes = models.TextField(_("notes"), blank=True)
    rescission_deadline = models.DateField(_("rescission window ends"), null=True, blank=True)
    rescinded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["case", "status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.starts_at:%Y-%m-%d %H:%M}"


class InterpreterAvailability(models.Model):
    """An interpreter for a language at a court: on one date, or on given weekdays."""

    court = models.ForeignKey(Court, on_delete=models.CASCADE, related_name="interpreters")
    language = models.CharField(_("language (ISO 639-3)"), max_length=8)
    mode = models.CharField(_("mode"), max_length=16, choices=InterpreterMode.choices[1:])
    date = models.DateField(_("date"), null=True, blank=True,
                            help_text=_("Blank: every listed weekday."))
    weekdays = models.JSONField(_("weekdays (0 = Monday)"), default=list, blank=True)
    available = models.BooleanField(
        _("available"), default=True, help_text=_("Untick on a date to mark an absence.")
    )

    class Meta:
        verbose_name_plural = _("interpreter availability")

    def __str__(self) -> str:
        return f"{self.court_id} {self.language} {self.mode}"


class PortHearingSettings(models.Model):
    """For each port: which court it feeds, report lead time and escort capacity."""

    port = models.OneToOneField("core.Port", on_delete=models.CASCADE,
                                related_name="hearing_settings")
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        HearingLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Blank: any location of the court."),
    )
    report_lead_minutes = models.PositiveIntegerField(_("report this many minutes early"),
                                                      default=240)
    escort_persons_per_run = models.PositiveIntegerField(_("persons per escort run"), default=40)
    escort_runs_per_morning = models.PositiveIntegerField(_("escort runs per morning"),
                                                          default=4)

    class Meta:
        verbose_name_plural = _("port hearing settings")

    def __str__(self) -> str:
        return f"{self.port} → {self.court}"

    @property
    def escort_capacity(self) -> int:
        return self.escort_persons_per_run * self.escort_runs_per_morning


class SchedulingPolicy(models.Model):
    """Singleton: priority flags in the order they go first (e.g. unaccompanied children)."""

    priority_flags = models.JSONField(
        _("priority flags, most urgent first"),
        default=list, blank=True,
    )
    horizon_days = models.PositiveIntegerField(_("schedule at most this many days ahead"),
                                               default=730)

    def __str__(self) -> str:
        return "scheduling policy"

    @classmethod
    def current(cls) -> SchedulingPolicy:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CasePriorityFlag(models.Model):
    case = models.ForeignKey("intake.Case", on_delete=models.CASCADE, related_name="+")
    flag = models.CharField(_("flag"), max_length=32)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        unique_together = [("case", "flag")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.flag}"


class EarlyHearingWaiver(models.Model):
    """The person asked in writing for a first hearing sooner than 10 days (1229(b)(1))."""

    case = models.ForeignKey("intake.Case", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    note = models.TextField(_("note"), blank=True)

    def __str__(self) -> str:
        return f"waiver {self.case_id}"


class EscortRun(models.Model):
    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    sequence = models.PositiveIntegerField(_("run"))
    departed_at = models.DateTimeField(_("left the port"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at court"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        unique_together = [("port", "date", "sequence")]

    def __str__(self) -> str:
        return f"{self.port} {self.date} #{self.sequence}"


class RescheduleBatch(models.Model):
    """One mass reschedule: its filter, rule, counts and who ran it."""

    filters = models.JSONField(default=dict)
    rule = models.JSONField(default=dict)
    reason = models.TextField(_("reason"))
    moved = models.PositiveIntegerField(default=0)
    moved_later = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reschedule {self.pk}"


class HearingChange(models.Model):
    """History of a hearing's time and place (postponements, mass reschedules)."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="changes")
    batch = models.ForeignKey(RescheduleBatch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="changes")
    old_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField()
    old_session = models.ForeignKey(CourtSession, null=True, on_delete=models.PROTECT,
                                    related_name="+")
    new_session = models.ForeignKey(CourtSession, null=True, on_delete=models.PROTECT,
                                    related_name="+")
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hearing_id}: {self.old_starts_at} -> {self.new_starts_at}"
