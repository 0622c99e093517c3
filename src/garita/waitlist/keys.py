"""Per-port Ed25519 signing keys for the waitlist logs, kept in GARITA_KEY_DIR (0600).

Generated on first use, never stored in the database. The file holds the key in the
Go sumdb/note form: PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings

from garita.waitlist.note import key_hash, public_bytes, verifier_key

_cache: dict[str, Ed25519PrivateKey] = {}


def origin(port_slug: str) -> str:
    """The log's origin line, also the key name (no spaces, no '+')."""
    host = getattr(settings, "GARITA_LOG_ORIGIN_HOST", "garita.example")
    return f"{host}/waitlist/{port_slug}"


def _path(port_slug: str) -> Path:
    return Path(settings.GARITA_KEY_DIR) / f"waitlist-{port_slug}.key"


class NoKey(LookupError):
    """The port has no signing key yet (its log was never written) and may not make one."""


def signing_key(port_slug: str, *, create: bool = True) -> Ed25519PrivateKey:
    """The port's key; made on first use by a write. Reads pass create=False: a public
    GET never writes, not even a key file."""
    path = _path(port_slug)
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    name = origin(port_slug)
    if not path.exists():
        if not create:
            raise NoKey(port_slug)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        blob = base64.b64encode(b"\x01" + seed).decode()
        text = f"PRIVATE+KEY+{name}+{key_hash(name, public_bytes(key)).hex()}+{blob}\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read its key below
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
    raw = path.read_text().strip().split("+", 4)
    seed = base64.b64decode(raw[-1])[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    _cache[str(path)] = key
    return key


def public_verifier_key(port_slug: str, *, create: bool = True) -> str:
    return verifier_key(origin(port_slug), signing_key(port_slug, create=create))
