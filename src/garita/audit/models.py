"""The audit log: one row per write and per read of protected data, hash-chained.

Each event stores the hash of the one before it; a single ChainHead row holds the last
sequence number and hash, so deleting or editing any row (even the last) is detected.
"""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True, db_index=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """Singleton (pk=1): the lock every append takes, and the tip of the chain."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain head at {self.last_seq}"

class UnsealedEvent(models.Model):
    """A high-volume read event (a hotline look-up) written without the chain lock.

    Inserting one is a single statement that contends with nobody; `audit.services.seal()`
    later moves it into the chain (AuditEvent, with its seq and hashes) under the ChainHead
    lock, in id order, and deletes it here in the same transaction. Until then `mac`, an
    HMAC of its fields keyed with the server secret, makes an edit detectable by
    `verify_chain` without the key being in the database.
    """

    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"unsealed {self.pk} {self.action} {self.object_type}:{self.object_id}"
