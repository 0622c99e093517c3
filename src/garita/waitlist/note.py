"""C2SP signed-note and tlog-checkpoint with Ed25519: sign, open, verifier keys.

Pure. Key hash = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key); a signature
line is "— <name> <base64(key hash || signature)>"; a verifier key is
"<name>+<hex key hash>+<base64(0x01 || public key)>".
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = b"\x01"
DASH = "\u2014 "


class NoteError(ValueError):
    """A note, key or checkpoint is malformed or its signature does not verify."""


def key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public).digest()[:4]


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"bad key name {name!r}")


def verifier_key(name: str, key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    _check_name(name)
    pub = public_bytes(key)
    return f"{name}+{key_hash(name, pub).hex()}+{base64.b64encode(ALG_ED25519 + pub).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    hash: bytes
    key: Ed25519PublicKey


def parse_verifier_key(vkey: str) -> Verifier:
    try:
        name, hash_hex, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
        kh = bytes.fromhex(hash_hex)
    except ValueError as exc:
        raise NoteError("malformed verifier key") from exc
    _check_name(name)
    if len(hash_hex) != 8 or len(raw) != 33 or raw[:1] != ALG_ED25519:
        raise NoteError("unsupported verifier key")
    if key_hash(name, raw[1:]) != kh:
        raise NoteError("verifier key hash does not match")
    return Verifier(name, kh, Ed25519PublicKey.from_public_bytes(raw[1:]))


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    _check_name(name)
    sig = key.sign(text.encode())
    blob = base64.b64encode(key_hash(name, public_bytes(key)) + sig).decode()
    return f"{text}\n{DASH}{name} {blob}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """Return the text if a signature by `verifier` verifies; raise NoteError otherwise."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("not a signed note")
    text, sigs = note[: split + 1], note[split + 2:]
    for line in sigs.splitlines():
        if not line.startswith(DASH):
            raise NoteError("malformed signature line")
        try:
            name, blob = line[len(DASH):].split(" ")
            raw = base64.b64decode(blob, validate=True)
        except ValueError as exc:
            raise NoteError("malformed signature line") from exc
        if name != verifier.name or raw[:4] != verifier.hash:
            continue
        try:
            verifier.key.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise NoteError("signature does not verify") from exc
        return text
    raise NoteError("no signature by the given key")


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[0] or not lines[1].isdigit():
        raise NoteError("malformed checkpoint")
    if lines[1] != "0" and lines[1].startswith("0"):
        raise NoteError("malformed checkpoint size")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:
        raise NoteError("malformed checkpoint root") from exc
    if len(root) != 32:
        raise NoteError("checkpoint root must be 32 bytes")
    return lines[0], int(lines[1]), root
