"""The rules of Idempotency-Key, as pure functions: which keys are valid, what makes two
requests "the same", which answers are kept for replay.

No database and no Django request here; `hooks` and `services` apply these rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import parse_qsl, urlencode

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255

# Printable ASCII (space to tilde), 1..255 characters, not starting or ending with a space
# (HTTP strips a header value's surrounding whitespace, so such a key would not round-trip).
_KEY = re.compile(r"[!-~](?:[ -~]{0,253}[!-~])?")
# The same rule as an OpenAPI (ECMA) pattern, for the schema.
KEY_PATTERN = "^[!-~]([ -~]{0,253}[!-~])?$"


def valid_key(value: str) -> bool:
    """A key is opaque to Garita: any 1..255 printable ASCII characters (a UUID is typical;
    the draft's quoted form `"…"` is accepted too, the quotes being part of the key)."""
    return _KEY.fullmatch(value) is not None


def key_digest(key: str) -> str:
    """What the table keeps instead of the key itself (fixed size; not the key)."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def canonical_body(body: bytes) -> bytes:
    """A JSON body with sorted keys and no insignificant whitespace (so that a client that
    re-serialises its request in another key order is still sending the same request);
    any other body as its bytes."""
    if not body.strip():
        return b""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(key: str, *, method: str, path: str, query: str, body: bytes) -> str:
    """The request's fingerprint: method, path, sorted query and canonical body.

    Keyed by the client's Idempotency-Key (an HMAC), so the stored fingerprint tells a
    reader of the table nothing about the request's content without the key."""
    q = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    parts = [method.upper().encode(), path.encode(), q.encode(), canonical_body(body)]
    msg = b"\x00".join(len(p).to_bytes(8, "big") + p for p in parts)
    return hmac.new(key.encode("ascii"), msg, hashlib.sha256).hexdigest()


# Answers that describe a passing condition, not the request: a retry must run again.
TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})


def storable(status: int) -> bool:
    """Which answers are kept and replayed: every 2xx, and every 4xx that the handler gave
    (a refusal with a stable code is the answer to that request), except the transient
    ones (408, 425, 429). Never a 1xx, 3xx or 5xx: after a server error the retry runs
    again, and the request's transaction was rolled back, so nothing of it stays."""
    if 200 <= status < 300:
        return True
    return 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS
