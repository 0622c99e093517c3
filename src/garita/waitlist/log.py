"""The per-port transparency log in the database: append, tiles, proofs, checkpoints, verify.

Callers append inside their own transaction while holding the Waitlist row lock, so log
rows, tiles and the waitlist change commit together or not at all. Full tiles never
change, so they are cached in memory; the right-edge partial tiles are always re-read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from garita.waitlist import keys, merkle, note
from garita.waitlist.domain import entry_bytes
from garita.waitlist.models import Checkpoint, LogEvent, LogTile, Waitlist

HS = merkle.HASH_SIZE


@dataclass(frozen=True)
class NewEvent:
    event: str
    at: dt.datetime
    number: int | None = None
    size: int | None = None
    commitment: str = ""
    detail: str = ""


def _split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i:i + HS] for i in range(0, len(blob), HS)]


# Full tiles never change: cache them per process. Keyed by database alias as well.
_FULL_TILES: dict[tuple[str, int, int, int], tuple[bytes, ...]] = {}
_FULL_TILES_MAX = 20000


def _load_tile(waitlist_id: int, level: int, index: int) -> list[bytes]:
    blob = (LogTile.objects.filter(waitlist_id=waitlist_id, level=level, index=index)
            .values_list("hashes", flat=True).first())
    return _split_hashes(bytes(blob)) if blob is not None else []


def get_tile(waitlist_id: int, level: int, index: int) -> Sequence[bytes]:
    key = (transaction.get_connection().alias, waitlist_id, level, index)
    hit = _FULL_TILES.get(key)
    if hit is not None:
        return hit
    hashes = _load_tile(waitlist_id, level, index)
    if len(hashes) == merkle.TILE_WIDTH:
        if len(_FULL_TILES) >= _FULL_TILES_MAX:
            _FULL_TILES.clear()
        _FULL_TILES[key] = tuple(hashes)
    return hashes


def clear_cache() -> None:
    """Forget cached tiles (tests whose rollbacks reuse ids, and verify, call this)."""
    _FULL_TILES.clear()


def reader(waitlist_id: int) -> merkle.SubtreeReader:
    """Subtree hashes from stored tiles; partial tiles are read once per reader."""
    local: dict[tuple[int, int], Sequence[bytes]] = {}

    def tile(level: int, n: int) -> Sequence[bytes]:
        got = local.get((level, n))
        if got is None:
            got = local[(level, n)] = get_tile(waitlist_id, level, n)
        return got

    return lambda h, i: merkle.subtree_from_tiles(tile, h, i)


def append(waitlist: Waitlist, events: Sequence[NewEvent]) -> list[LogEvent]:
    """Append events; the caller holds the Waitlist row lock inside a transaction."""
    if not events:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("log.append must run inside a transaction")
    slug = waitlist.port.slug
    size = waitlist.log_size
    tree = merkle.TileTree(size=size)
    # Load the right-edge (partial) tile of every level that the appends will touch.
    pos, level = size, 0
    while True:
        tree.tiles[(level, pos // merkle.TILE_WIDTH)] = _load_tile(waitlist.pk, level,
                                                                   pos // merkle.TILE_WIDTH)
        if pos < merkle.TILE_WIDTH:
            break
        pos //= merkle.TILE_WIDTH
        level += 1
    existing = {k for k, v in tree.tiles.items() if v}
    rows_out = []
    for offset, ev in enumerate(events):
        idx = size + offset
        data = entry_bytes(port=slug, index=idx, event=ev.event, number=ev.number, size=ev.size,
                           at=ev.at, commitment=ev.commitment, detail=ev.detail)
        tree.append(merkle.leaf_hash(data))
        rows_out.append(LogEvent(waitlist_id=waitlist.pk, index=idx, event=ev.event,
                                 number=ev.number, size=ev.size, at=ev.at,
                                 commitment=ev.commitment, detail=ev.detail))
    LogEvent.objects.bulk_create(rows_out, batch_size=2000)
    _save_tiles(waitlist.pk, tree, existing)
    waitlist.log_size = tree.size
    Waitlist.objects.filter(pk=waitlist.pk).update(log_size=tree.size)
    return rows_out


def _save_tiles(waitlist_id: int, tree: merkle.TileTree, existing: set[tuple[int, int]]) -> None:
    updates, creates = [], []
    for key in sorted(tree.dirty):
        blob = b"".join(tree.tiles[key])
        if key in existing:
            updates.append((key, blob))
        else:
            creates.append(LogTile(waitlist_id=waitlist_id, level=key[0], index=key[1],
                                   hashes=blob))
    for (level, index), blob in updates:
        LogTile.objects.filter(waitlist_id=waitlist_id, level=level, index=index).update(
            hashes=blob)
    LogTile.objects.bulk_create(creates, batch_size=1000)


def root_hash(waitlist: Waitlist, size: int | None = None) -> bytes:
    size = waitlist.log_size if size is None else size
    return merkle.root(size, reader(waitlist.pk))


def inclusion(waitlist: Waitlist, index: int, size: int | None = None) -> dict[str, Any]:
    size = waitlist.log_size if size is None else size
    if size > waitlist.log_size:
        raise merkle.ProofError("tree size beyond the log")
    rd = reader(waitlist.pk)
    proof = merkle.inclusion_proof(index, size, rd)
    return {"index": index, "tree_size": size, "leaf_hash": rd(0, index).hex(),
            "root_hash": merkle.root(size, rd).hex(), "proof": [p.hex() for p in proof]}


def consistency(waitlist: Waitlist, old: int, new: int | None = None) -> dict[str, Any]:
    new = waitlist.log_size if new is None else new
    if new > waitlist.log_size:
        raise merkle.ProofError("tree size beyond the log")
    rd = reader(waitlist.pk)
    proof = merkle.consistency_proof(old, new, rd)
    return {"old_size": old, "new_size": new, "old_root": merkle.root(old, rd).hex(),
            "new_root": merkle.root(new, rd).hex(), "proof": [p.hex() for p in proof]}


def latest_checkpoint(waitlist: Waitlist) -> Checkpoint:
    """The signed checkpoint for the current size, signing a new one if the log grew."""
    cp = Checkpoint.objects.filter(waitlist=waitlist).order_by("-size", "-id").first()
    if cp is not None and cp.size == waitlist.log_size:
        return cp
    slug = waitlist.port.slug
    root = root_hash(waitlist)
    text = note.checkpoint_text(keys.origin(slug), waitlist.log_size, root)
    signed = note.sign_note(text, keys.origin(slug), keys.signing_key(slug))
    return Checkpoint.objects.create(waitlist=waitlist, size=waitlist.log_size,
                                     root_hash=root.hex(), note=signed, created_at=timezone.now())


def entries(waitlist: Waitlist, start: int, count: int) -> list[bytes]:
    slug = waitlist.port.slug
    rows = LogEvent.objects.filter(waitlist=waitlist, index__gte=start,
                                   index__lt=start + count).order_by("index")
    return [entry_bytes(port=slug, index=r.index, event=r.event, number=r.number, size=r.size,
                        at=r.at, commitment=r.commitment, detail=r.detail) for r in rows]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    size: int
    root: str
    problem: str = ""
    first_bad_index: int | None = None


def verify(waitlist: Waitlist, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Recompute every entry from its row, rebuild the tree, and compare with the stored
    tiles and every signed checkpoint. Stops at the first bad entry."""
    slug = waitlist.port.slug
    stored = lambda lv, n: get_tile(waitlist.pk, lv, n)  # noqa: E731
    clear_cache()
    fresh = merkle.TileTree()
    expected = 0
    rows: Iterable[tuple] = (
        LogEvent.objects.filter(waitlist=waitlist).order_by("index")
        .values_list("index", "event", "number", "size", "at", "commitment", "detail")
        .iterator(chunk_size=5000)
    )
    current_tile: tuple[int, Sequence[bytes]] = (-1, [])
    for index, event, number, size, at, commitment, detail in rows:
        if index != expected:
            return VerifyResult(False, expected, "", f"entry {expected} is missing", expected)
        leaf = merkle.leaf_hash(entry_bytes(port=slug, index=index, event=event, number=number,
                                            size=size, at=at, commitment=commitment,
                                            detail=detail))
        tile_no = index // merkle.TILE_WIDTH
        if current_tile[0] != tile_no:
            current_tile = (tile_no, stored(0, tile_no))
        tile = current_tile[1]
        off = index % merkle.TILE_WIDTH
        if off >= len(tile) or tile[off] != leaf:
            return VerifyResult(False, index, "",
                                f"entry {index} was changed: it does not match its logged hash",
                                index)
        fresh.append(leaf)
        expected += 1
        if progress is not None and expected % 10000 == 0:
            progress(expected)
    if expected != waitlist.log_size:
        return VerifyResult(False, expected, "", f"entry {expected} is missing", expected)
    # Higher tiles must match the recomputed ones (their leaves matched already).
    for (level, n), hashes in fresh.tiles.items():
        if level and list(stored(level, n)) != hashes:
            return VerifyResult(False, expected, "", f"tile {level}/{n} does not match", None)
    fresh_root = merkle.root(expected, fresh.subtree)
    vkey = note.parse_verifier_key(keys.public_verifier_key(slug))
    for cp in Checkpoint.objects.filter(waitlist=waitlist).order_by("size"):
        try:
            origin, size, root = note.parse_checkpoint(note.open_note(cp.note, vkey))
        except note.NoteError as exc:
            return VerifyResult(False, expected, fresh_root.hex(),
                                f"checkpoint {cp.size}: {exc}", None)
        if size > expected or merkle.root(size, fresh.subtree) != root:
            return VerifyResult(False, expected, fresh_root.hex(),
                                f"checkpoint of size {size} does not match the entries",
                                min(size, expected))
    return VerifyResult(True, expected, fresh_root.hex())
