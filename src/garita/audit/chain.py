"""Pure hashing of audit events: canonical JSON of the fields, chained by SHA-256.

Kept free of Django so verification can be reasoned about and tested on its own.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    payload = canonical({**fields, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
