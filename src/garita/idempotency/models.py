"""One row per Idempotency-Key a user sent to an API write, kept for the retention window.

The row holds no key (a SHA-256 digest of it) and no readable answer: the stored body is
sealed with a key derived from the secret key and the client's Idempotency-Key, because
answers can be confidential (a waitlist registration's PIN, a case's details). Not in the
admin; `garita idempotency purge` (and `garita worker`, every minute) deletes expired rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key_digest = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    # The attempt that holds the key while the first request runs; NULL status = in flight.
    attempt = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key_digest"],
                                    name="idempotency_one_record_per_user_and_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key_digest[:12]} ({self.status or 'in flight'})"
