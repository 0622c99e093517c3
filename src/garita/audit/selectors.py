"""Reading and verifying the audit chain.

`verify_chain()` walks every event in order and reports the first broken link, then checks
the HMAC of every event still waiting to be sealed (`UnsealedEvent`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from garita.audit.chain import GENESIS, event_hash
from garita.audit.models import AuditEvent, ChainHead, UnsealedEvent
from garita.audit.services import _unsealed_fields, hashed_fields, unsealed_mac_ok


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    unsealed: int = 0  # events not yet in the chain, each checked against its HMAC
    oldest_unsealed: dt.datetime | None = None


def _verify_unsealed(checked: int, batch: int) -> ChainReport:
    count, oldest, last_pk = 0, None, 0
    while True:
        rows = list(UnsealedEvent.objects.filter(pk__gt=last_pk).order_by("pk")[:batch])
        if not rows:
            return ChainReport(True, checked, unsealed=count, oldest_unsealed=oldest)
        for ev in rows:
            if not unsealed_mac_ok(_unsealed_fields(ev), ev.mac):
                return ChainReport(False, checked, None,
                                   f"unsealed event {ev.pk} changed (not yet chained)",
                                   unsealed=count)
            oldest = ev.at if oldest is None else min(oldest, ev.at)
            count += 1
        last_pk = rows[-1].pk


def verify_chain(progress: Callable[[int], None] | None = None, batch: int = 5000) -> ChainReport:
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_pk = 0
    # Events appended while the walk runs (writes, or `garita worker` sealing look-ups) are
    # walked too: after reaching the end, re-read the head and go on while it moved ahead.
    for _round in range(100):
        while True:
            rows = list(AuditEvent.objects.filter(pk__gt=last_pk).order_by("pk")[:batch])
            if not rows:
                break
            for ev in rows:
                if ev.seq != expected_seq:
                    return ChainReport(False, checked, expected_seq,
                                       "missing or reordered event")
                if ev.prev_hash != prev:
                    return ChainReport(False, checked, ev.seq, "link to previous event broken")
                fields = hashed_fields(
                    seq=ev.seq, at=ev.at, actor_id=ev.actor_id, actor_label=ev.actor_label,
                    action=ev.action, object_type=ev.object_type, object_id=ev.object_id,
                    old=ev.old, new=ev.new, request_id=ev.request_id,
                )
                if event_hash(fields, prev) != ev.hash:
                    return ChainReport(False, checked, ev.seq, "event contents changed")
                prev = ev.hash
                expected_seq += 1
                checked += 1
            last_pk = rows[-1].pk
            if progress:
                progress(len(rows))
        head = ChainHead.objects.filter(pk=1).first()
        if head is None or head.last_seq <= checked:
            break
        if not AuditEvent.objects.filter(pk__gt=last_pk).exists():
            break  # the head is ahead of the last event: events missing at the end
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return ChainReport(False, checked, checked + 1, "events missing at the end of the chain")
    return _verify_unsealed(checked, batch)
