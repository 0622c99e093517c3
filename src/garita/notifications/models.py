"""The outbox: every message Garita owes a person, a representative or a shelter.

One row per (recipient, channel, event); `idempotency_key` is unique so the same notice is
never queued twice, whoever asks. Sending happens on the task worker, never in a request.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    CANCELLED = "cancelled", _("Cancelled")


class Notification(models.Model):
    case = models.ForeignKey("intake.Case", on_delete=models.PROTECT, related_name="notifications")
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

    class Meta:
        indexes = [models.Index(fields=["status", "send_after"])]
