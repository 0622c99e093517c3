"""Writing audit events. Call `audit.record(...)` inside the service's transaction.

Appends serialise on the ChainHead row (SELECT ... FOR UPDATE on PostgreSQL, the
IMMEDIATE write lock on SQLite), so the chain has no forks and no gaps.

High-volume reads that must not queue on that lock (a hotline look-up: one per call, at
hundreds per second) use `record_unsealed(...)`: one INSERT into UnsealedEvent with an
HMAC of its fields, committed before the answer is sent, taking no lock. `seal()` (run by
`garita worker` every minute and by `garita audit seal`) moves them into the chain in id
order; `verify_chain` checks the chain and the HMAC of every event not yet sealed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from garita.audit.chain import GENESIS, canonical, event_hash
from garita.audit.models import AuditEvent, ChainHead, UnsealedEvent
from garita.core.request_context import current_request_id


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _at_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def hashed_fields(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    old: Any,
    new: Any,
    request_id: str,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": _at_text(at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "old": old,
        "new": new,
        "request_id": request_id,
    }


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:150]
    if getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()[:150]
    return None, "anonymous"


def _new_event(*, seq: int, actor: Any, action: str, obj: Any, object_type: str,
               object_id: str | int, old: Any, new: Any) -> tuple[dt.datetime, dict[str, Any]]:
    """The time and hashed fields of a new event (`record` and `record_unsealed` alike)."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    actor_id, actor_label = _actor_fields(actor)
    at = timezone.now()
    return at, hashed_fields(
        seq=seq, at=at, actor_id=actor_id, actor_label=actor_label, action=action,
        object_type=object_type, object_id=str(object_id), old=_jsonable(old),
        new=_jsonable(new), request_id=current_request_id(),
    )


@transaction.atomic
def record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    old: Any = None,
    new: Any = None,
) -> AuditEvent:
    """Append one event. `actor` is a user, a system label (str) or None (system)."""
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    at, fields = _new_event(seq=head.last_seq + 1, actor=actor, action=action, obj=obj,
                            object_type=object_type, object_id=object_id, old=old, new=new)
    digest = event_hash(fields, head.last_hash or GENESIS)
    event = AuditEvent.objects.create(
        seq=fields["seq"],
        at=at,
        actor_id=fields["actor_id"],
        actor_label=fields["actor_label"],
        action=action,
        object_type=fields["object_type"],
        object_id=fields["object_id"],
        old=fields["old"],
        new=fields["new"],
        request_id=fields["request_id"],
        prev_hash=head.last_hash or GENESIS,
        hash=digest,
    )
    ChainHead.objects.filter(pk=1).update(last_seq=fields["seq"], last_hash=digest)
    return event


def record_read(*, actor: Any, obj: Any, what: str) -> AuditEvent:
    """A read of protected data (screening, fear interview, contact details)."""
    return record(actor=actor, action=f"{what}.read", obj=obj)


# ---------------------------------------------------------------- unsealed read events


class UnsealedEventChanged(RuntimeError):
    """An event waiting to be sealed no longer matches its HMAC: it was edited."""

    def __init__(self, pk: int) -> None:
        super().__init__(f"unsealed audit event {pk} was changed; refusing to seal it")
        self.pk = pk


def _mac_keys() -> list[bytes]:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [("garita-audit-unsealed:" + k).encode() for k in secrets]


def unsealed_mac(fields: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 of an event's hashed fields without its seq (it has none yet)."""
    body = canonical({k: v for k, v in fields.items() if k != "seq"})
    return hmac.new(key or _mac_keys()[0], body.encode("utf-8"), hashlib.sha256).hexdigest()


def unsealed_mac_ok(fields: dict[str, Any], mac: str) -> bool:
    return any(hmac.compare_digest(unsealed_mac(fields, k), mac) for k in _mac_keys())


def _unsealed_fields(ev: UnsealedEvent) -> dict[str, Any]:
    return hashed_fields(
        seq=0, at=ev.at, actor_id=ev.actor_id, actor_label=ev.actor_label, action=ev.action,
        object_type=ev.object_type, object_id=ev.object_id, old=ev.old, new=ev.new,
        request_id=ev.request_id,
    )


def record_unsealed(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    old: Any = None,
    new: Any = None,
) -> None:
    """Append one read event without the chain lock: one INSERT, sealed into the chain later.

    Durable once the surrounding transaction (or, outside one, the statement) commits, so a
    caller that answers after this returns never answers without its event on disk.
    """
    from garita.core import sql as raw_sql

    raw_sql.execute(*unsealed_insert(actor=actor, action=action, obj=obj,
                                     object_type=object_type, object_id=object_id, old=old,
                                     new=new))


def unsealed_insert(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    old: Any = None,
    new: Any = None,
) -> tuple[str, list[Any]]:
    """`record_unsealed`'s INSERT and its parameters, not run: for a caller that sends it
    as part of a statement of its own (the hotline prefixes a data-modifying WITH on
    PostgreSQL, so a look-up's write stays one round trip). Run it once, or not at all."""
    at, fields = _new_event(seq=0, actor=actor, action=action, obj=obj,
                            object_type=object_type, object_id=object_id, old=old, new=new)
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a context-local look-up
    return _unsealed_insert_sql(db.vendor), [  # runs on every hotline look-up
        db.ops.adapt_datetimefield_value(at), fields["actor_id"],
        fields["actor_label"], action, fields["object_type"], fields["object_id"],
        _dumps(fields["old"]), _dumps(fields["new"]),
        fields["request_id"], unsealed_mac(fields),
    ]


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


@functools.cache
def _unsealed_insert_sql(vendor: str) -> str:
    json_param = "CAST(%s AS jsonb)" if vendor == "postgresql" else "%s"
    return (
        f"INSERT INTO {UnsealedEvent._meta.db_table} (at, actor_id, actor_label, action, "
        f"object_type, object_id, old, new, request_id, mac) "
        f"VALUES (%s, %s, %s, %s, %s, %s, {json_param}, {json_param}, %s, %s)"
    )


def seal(batch: int = 2000) -> int:
    """Move every unsealed event into the hash chain, oldest first; returns how many.

    Each batch is one transaction under the ChainHead lock: the events are appended with
    their seq and hashes and deleted from the unsealed table together, so an event is
    never lost nor chained twice. An edited event (HMAC mismatch) stops sealing with
    UnsealedEventChanged instead of being laundered into the chain.
    """
    total = 0
    while True:
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            rows = list(UnsealedEvent.objects.order_by("id")[:batch])
            if not rows:
                return total
            seq, prev = head.last_seq, head.last_hash or GENESIS
            events = []
            for row in rows:
                fields = _unsealed_fields(row)
                if not unsealed_mac_ok(fields, row.mac):
                    raise UnsealedEventChanged(row.pk)
                seq += 1
                fields["seq"] = seq
                digest = event_hash(fields, prev)
                events.append(AuditEvent(
                    seq=seq, at=row.at, actor_id=row.actor_id, actor_label=row.actor_label,
                    action=row.action, object_type=row.object_type, object_id=row.object_id,
                    old=row.old, new=row.new, request_id=row.request_id, prev_hash=prev,
                    hash=digest,
                ))
                prev = digest
            AuditEvent.objects.bulk_create(events)
            UnsealedEvent.objects.filter(pk__in=[r.pk for r in rows]).delete()
            ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
        total += len(rows)
        if len(rows) < batch:
            return total
