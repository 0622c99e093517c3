"""Writing audit events. Call `audit.record(...)` inside the service's transaction.

Appends serialise on the ChainHead row (SELECT ... FOR UPDATE on PostgreSQL, the
IMMEDIATE write lock on SQLite), so the chain has no forks and no gaps.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from garita.audit.chain import GENESIS, event_hash
from garita.audit.models import AuditEvent, ChainHead
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
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    actor_id, actor_label = _actor_fields(actor)
    at = timezone.now()
    fields = hashed_fields(
        seq=head.last_seq + 1,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        old=_jsonable(old),
        new=_jsonable(new),
        request_id=current_request_id(),
    )
    digest = event_hash(fields, head.last_hash or GENESIS)
    event = AuditEvent.objects.create(
        seq=fields["seq"],
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
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
