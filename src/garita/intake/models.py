"""People, family units, encounters at the port, and the case each person gets.

A Case is one person's MPP case with a canonical A-number; its `status` only moves along
the transitions in intake.domain.CASE_TRANSITIONS (enforced by services, never save()).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Shelter(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    city = models.CharField(_("city"), max_length=100, default="Tijuana")
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    confirmed = models.BooleanField(
        _("confirmed"), default=True, help_text=_("The shelter exists and takes residents.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FamilyType(models.TextChoices):
    SINGLE_ADULT = "single_adult", _("Single adult")
    FAMILY_UNIT = "family_unit", _("Family unit")
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied child")


class Encounter(models.Model):
    """One arrival at the port: a single adult, a family unit or an unaccompanied child."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, verbose_name=_("port"))
    occurred_at = models.DateTimeField(_("encountered at"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("officer"),
    )
    family_type = models.CharField(_("family type"), max_length=24, choices=FamilyType.choices)
    waitlist_entry_id = models.BigIntegerField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"encounter {self.pk} at {self.port_id}"


class Person(models.Model):
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="people", verbose_name=_("encounter")
    )
    given_names = models.CharField(_("given names"), max_length=200)
    surnames = models.CharField(_("surnames"), max_length=200)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    nationality = models.CharField(_("nationality"), max_length=3)  # ISO 3166-1 alpha-3
    languages = models.JSONField(_("languages"), default=list)  # ISO 639-3, first is primary
    relationship = models.CharField(_("relationship in the family"), max_length=32, blank=True)
    is_head = models.BooleanField(_("head of family"), default=False)

    class Meta:
        ordering = ["encounter_id", "-is_head", "date_of_birth"]

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surnames}".strip()

    @property
    def primary_language(self) -> str:
        return self.languages[0] if self.languages else "spa"

    def __str__(self) -> str:
        return self.full_name


class CaseStatus(models.TextChoices):
    ENCOUNTERED = "encountered", _("Encountered, not yet screened")
    PENDING_FEAR_INTERVIEW = "pending_fear_interview", _("Waiting for a fear interview")
    NOT_AMENABLE = "not_amenable", _("Not amenable to MPP: processed in the US")
    AMENABLE = "amenable", _("Amenable to MPP")
    NTA_ISSUED = "nta_issued", _("Notice to Appear issued")
    RETURNED_TO_MEXICO = "returned_to_mexico", _("Returned to Mexico to await hearing")
    IN_PROCEEDINGS = "in_proceedings", _("In proceedings")
    RELIEF_GRANTED = "relief_granted", _("Relief granted")
    REMOVAL_ORDERED = "removal_ordered", _("Removal ordered")
    REMOVAL_ORDERED_IN_ABSENTIA = "removal_in_absentia", _("Removal ordered in absentia")
    TERMINATED = "terminated", _("Proceedings terminated")
    REMOVED_FROM_MPP = "removed_from_mpp", _("Taken off MPP")


class Case(models.Model):
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="case", verbose_name=_("person")
    )
    a_number = models.CharField(_("A-number"), max_length=10, unique=True)
    status = models.CharField(
        _("status"), max_length=32, choices=CaseStatus.choices, default=CaseStatus.ENCOUNTERED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, verbose_name=_("port"))
    # PIN for phone and web look-ups; only its digest is kept (shown once on the NTA).
    lookup_pin_digest = models.CharField(max_length=128, blank=True)
    # Set by a mass reschedule or other bulk change until the person has been re-noticed.
    info_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.a_number


class Address(models.Model):
    """The address a person gave (EOIR-33); the newest one is where notices go."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="addresses")
    line1 = models.CharField(_("street and number"), max_length=200, blank=True)
    neighborhood = models.CharField(_("neighborhood"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=3, default="MEX")
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    shelter = models.ForeignKey(
        Shelter, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("shelter"),
        related_name="resident_addresses",
    )
    is_placeholder = models.BooleanField(_("placeholder address"), default=False)
    placeholder_reasons = models.JSONField(default=list, blank=True)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"address {self.pk} of case {self.case_id}"


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone (SMS and voice)")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class ContactPoint(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)  # E.164 for phones
    consent_sms = models.BooleanField(_("consents to SMS"), default=True)
    consent_voice = models.BooleanField(_("consents to calls"), default=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} of case {self.case_id}"


class ANumberBlock(models.Model):
    """A configured range of A-numbers; numbers are handed out in order, never reused."""

    name = models.CharField(max_length=100)
    first = models.BigIntegerField()
    last = models.BigIntegerField()
    next_value = models.BigIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.first}-{self.last}"


class Appearance(models.Model):
    """A representative's Form EOIR-28 on a case: the only way they see it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appearances")
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appearances"
    )
    filed_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["representative", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"EOIR-28 {self.pk} on case {self.case_id}"


class Consent(models.Model):
    """Written consent (8 CFR 208.6) to share a case with a shelter or a representative."""

    class Grantee(models.TextChoices):
        SHELTER = "shelter", _("Shelter")
        REPRESENTATIVE = "representative", _("Legal representative")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    grantee_type = models.CharField(max_length=16, choices=Grantee.choices)
    shelter = models.ForeignKey(Shelter, null=True, blank=True, on_delete=models.PROTECT)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"consent {self.pk} on case {self.case_id}"
