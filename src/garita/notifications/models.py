"""The outbox: every message Garita owes a person, a representative or a shelter.

One row per (recipient, channel, event); `idempotency_key` is unique so the same notice is
never queued twice, whoever asks. A row is claimed (SENDING + lease) before it is handed to
a provider, so two workers never send it twice. Sending happens on the worker, never in a
request. OptOut rows (STOP) are honoured for every case and channel.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class RecipientKind(models.TextChoices):
    PERSON = "person", _("The person")
    REPRESENTATIVE = "representative", _("Legal representative")
    SHELTER = "shelter", _("Shelter")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", pgettext_lazy("message status", "Cancelled")
    # A worker died between handing the message to the provider and marking it: it is not
    # sent again automatically (no duplicate); a status callback or an operator settles it.
    UNCONFIRMED = "unconfirmed", _("Sent or not: unconfirmed")


class Notification(models.Model):
    # Exactly one of case / waitlist_group (constraint below): a waitlist group has no case.
    case = models.ForeignKey("intake.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="notifications")
    waitlist_group = models.ForeignKey("waitlist.Group", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="notifications")
    hearing = models.ForeignKey(
        "hearings.Hearing", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=40, db_index=True)
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    to_address = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="es")
    context = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED,
        db_index=True,
    )
    send_after = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The claim: a worker owns a SENDING row until lease_until.
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(max_length=32, blank=True)  # the provider's word
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=32, blank=True)
    # Exempt from quiet hours (the report-time reminder may ring at 03:00).
    urgent = models.BooleanField(default=False)
    # What was sent: no names, for the record. A waitlist PIN message is rendered when it is
    # queued (the PIN is stored nowhere else in clear) and this is its only copy.
    body = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "send_after"])]
        constraints = [models.CheckConstraint(
            condition=(models.Q(case__isnull=False, waitlist_group__isnull=True)
                       | models.Q(case__isnull=True, waitlist_group__isnull=False)),
            name="notification_case_xor_waitlist_group")]

    def __str__(self) -> str:
        return f"{self.event} {self.channel} #{self.pk} ({self.status})"


class OptOut(models.Model):
    """A phone number or e-mail address that sent STOP: nothing is sent to it, on any case."""

    address = models.CharField(max_length=254, unique=True)
    opted_out_at = models.DateTimeField()
    source = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"opt-out #{self.pk}"


class StaffContact(models.Model):
    """How a representative (or shelter staff) wants notices: e-mail and/or SMS."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE,
                                related_name="notification_contact")
    sms_phone = models.CharField(_("phone for SMS"), max_length=32, blank=True)
    email_enabled = models.BooleanField(_("notices by e-mail"), default=True)
    sms_enabled = models.BooleanField(_("notices by SMS"), default=True)

    def __str__(self) -> str:
        return f"contact of user {self.user_id}"
