"""Notices served on a person: the Notice to Appear, hearing notices and tear sheets.

An NTA always points at a hearing (time and place); its rendered PDF is kept as the served
record because the plain look-up PIN exists only on that document. Other notices keep the
facts they state (`content`) and render the same PDF again on demand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    NTA = "nta", _("Notice to Appear (I-862)")
    HEARING_NOTICE = "hearing_notice", _("Notice of hearing")
    TEAR_SHEET = "tear_sheet", _("Tear sheet (report at the port)")


class ServiceMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    MAIL = "mail", _("By mail to the last address given")


class Acknowledgement(models.TextChoices):
    SIGNED = "signed", _("Signed by the person")
    REFUSED = "refused", _("The person refused to sign")
    NONE = "none", _("Not applicable (mail)")


class Notice(models.Model):
    case = models.ForeignKey("intake.Case", on_delete=models.PROTECT, related_name="notices")
    hearing = models.ForeignKey("hearings.Hearing", on_delete=models.PROTECT,
                                related_name="notices")
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    language = models.CharField(_("language"), max_length=8, default="spa")
    # The facts the notice states (hearing time and place, address, report time...).
    content = models.JSONField(default=dict)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    address_override_reason = models.TextField(_("address override reason"), blank=True)
    address_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    superseded = models.BooleanField(default=False)
    # Service: who, when, how; signature or refusal; proof of mailing.
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    served_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    service_method = models.CharField(_("how served"), max_length=16,
                                      choices=ServiceMethod.choices, blank=True)
    acknowledgement = models.CharField(_("signature"), max_length=16,
                                       choices=Acknowledgement.choices, blank=True)
    service_proof = models.CharField(_("proof of mailing (tracking number)"), max_length=200,
                                     blank=True)
    reschedule_batch = models.ForeignKey("hearings.RescheduleBatch", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"

    @property
    def is_served(self) -> bool:
        return self.served_at is not None
