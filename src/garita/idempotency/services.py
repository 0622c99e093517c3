"""Claiming an Idempotency-Key, storing the answer, replaying it; purging expired records.

Invariants: the claim is committed on its own, before the write runs, so a second request
with the same key sees it (409 while the first is in flight); the answer is stored inside
the write's own transaction (`complete` runs before it commits), so a stored answer exists
exactly when the write committed; an attempt that lost its key after its lease (a takeover)
stores nothing and must roll back. The records are transport state, not domain data:
they are not audited (a replay changes nothing, so it writes no audit event either).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.core.errors import Conflict, DomainError
from garita.idempotency import domain
from garita.idempotency.models import IdempotencyRecord


@dataclass(frozen=True)
class Claim:
    """This attempt holds the key: run the write, then `complete` (or `release`)."""

    record_id: int
    attempt: str
    user_id: int
    key: str


@dataclass(frozen=True)
class Replay:
    """The stored answer of the first request with this key."""

    status: int
    content_type: str
    body: bytes


def key_invalid() -> DomainError:
    return DomainError(
        "api.idempotency_key_invalid",
        _("The Idempotency-Key header must be 1 to 255 printable ASCII characters."),
        field=domain.HEADER, status=400)


def key_reused() -> DomainError:
    return DomainError(
        "api.idempotency_key_reused",
        _("This Idempotency-Key was already used for a different request. Use a new key "
          "for a new request."),
        field=domain.HEADER, status=422)


def in_flight() -> DomainError:
    return Conflict(
        "api.idempotency_in_flight",
        _("A request with this Idempotency-Key is still being processed. Try again in a "
          "moment."),
        field=domain.HEADER)


def result_unavailable() -> DomainError:
    return Conflict(
        "api.idempotency_result_unavailable",
        _("The answer to the first request with this Idempotency-Key can no longer be "
          "read. Check whether it took effect before sending it again with a new key."),
        field=domain.HEADER)


def retention() -> dt.timedelta:
    return dt.timedelta(hours=settings.GARITA_IDEMPOTENCY_RETENTION_HOURS)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.GARITA_IDEMPOTENCY_LEASE_SECONDS)


def claim(*, user_id: int, key: str, fingerprint: str,
          now: dt.datetime | None = None) -> Claim | Replay:
    """Take the key for this attempt, or answer with the first request's stored answer.

    Raises `api.idempotency_key_reused` (another request used the key),
    `api.idempotency_in_flight` (the first request still runs) or
    `api.idempotency_result_unavailable`. Called outside any transaction: the claim must be
    committed before the write starts, for a parallel request to see it."""
    now = now or timezone.now()
    digest = domain.key_digest(key)
    rows = IdempotencyRecord.objects.filter(user_id=user_id, key_digest=digest)
    for _attempt in range(5):
        attempt = secrets.token_hex(16)
        try:
            with transaction.atomic():
                rec = IdempotencyRecord.objects.create(
                    user_id=user_id, key_digest=digest, fingerprint=fingerprint,
                    attempt=attempt, started_at=now, created_at=now,
                    expires_at=now + retention())
            return Claim(rec.pk, attempt, user_id, key)
        except IntegrityError:
            pass  # the key is taken: look at what holds it
        held = rows.first()
        if held is None:
            continue  # released or purged meanwhile: try again
        if held.expires_at <= now:
            rows.filter(pk=held.pk, expires_at__lte=now).delete()
            continue
        if not hmac.compare_digest(held.fingerprint, fingerprint):
            raise key_reused()
        if held.status is None:
            if held.started_at > now - lease():
                raise in_flight()
            # Its attempt died (its transaction, write and answer, rolled back with it):
            # take the key over. If that attempt is alive after all, it cannot store.
            if rows.filter(pk=held.pk, attempt=held.attempt, status__isnull=True).update(
                    attempt=attempt, started_at=now):
                return Claim(held.pk, attempt, user_id, key)
            continue
        body = unseal(bytes(held.body), user_id=user_id, key=key)
        if body is None:
            raise result_unavailable()
        return Replay(held.status, held.content_type, body)
    raise in_flight()


def complete(c: Claim, *, status: int, content_type: str, body: bytes) -> bool:
    """Store the answer, inside the write's transaction. False: this attempt no longer
    holds the key (taken over after its lease), and the caller must roll back."""
    sealed = seal(body, user_id=c.user_id, key=c.key)
    return bool(IdempotencyRecord.objects.filter(
        pk=c.record_id, attempt=c.attempt, status__isnull=True,
    ).update(status=status, content_type=content_type[:100], body=sealed))


def release(c: Claim) -> bool:
    """Give the key back (nothing to replay: the next request with it runs). False: this
    attempt no longer held it."""
    deleted, _ = IdempotencyRecord.objects.filter(
        pk=c.record_id, attempt=c.attempt, status__isnull=True).delete()
    return bool(deleted)


def purge(*, now: dt.datetime | None = None) -> int:
    """Delete the records past their retention window; how many went."""
    deleted, _ = IdempotencyRecord.objects.filter(
        expires_at__lte=now or timezone.now()).delete()
    return deleted


# --- sealing the stored answers ----------------------------------------------------------

_SEAL_VERSION = b"\x01"


def _seal_key(secret: str, *, user_id: int, key: str) -> bytes:
    msg = f"garita.idempotency.seal|{user_id}|{key}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).digest()


def seal(body: bytes, *, user_id: int, key: str) -> bytes:
    """AES-GCM under a key derived from SECRET_KEY and the client's Idempotency-Key: the
    table alone (a dump, a backup) does not give the answers back."""
    nonce = secrets.token_bytes(12)
    aead = AESGCM(_seal_key(settings.SECRET_KEY, user_id=user_id, key=key))
    return _SEAL_VERSION + nonce + aead.encrypt(nonce, body, _SEAL_VERSION)


def unseal(sealed: bytes, *, user_id: int, key: str) -> bytes | None:
    """The body, or None when no current or fallback secret key opens it."""
    if not sealed.startswith(_SEAL_VERSION) or len(sealed) < 29:
        return None
    nonce, box = sealed[1:13], sealed[13:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return AESGCM(_seal_key(secret, user_id=user_id, key=key)).decrypt(
                nonce, box, _SEAL_VERSION)
        except InvalidTag:
            continue
    return None
