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


# Stored hashes never change once committed, so tiles read outside a transaction (hence
# committed) are cached per process with their inner levels. Reads inside a transaction
# are never cached: that transaction might still roll back.
# About 16 KiB a tile: 4096 tiles is at most ~70 MB.
_LEVELS: dict[tuple[str, int, int, int, int], list[bytes]] = {}
_LEVELS_MAX = 4096


def _load_tile(waitlist_id: int, level: int, index: int) -> list[bytes]:
    blob = (LogTile.objects.filter(waitlist_id=waitlist_id, level=level, index=index)
            .values_list("hashes", flat=True).first())
    return _split_hashes(bytes(blob)) if blob is not None else []


def get_tile(waitlist_id: int, level: int, index: int) -> Sequence[bytes]:
    return _load_tile(waitlist_id, level, index)


def clear_cache() -> None:
    """Forget cached tiles (tests whose rollbacks reuse ids, and verify, call this)."""
    _LEVELS.clear()


def reader(waitlist_id: int, size: int | None = None) -> merkle.SubtreeReader:
    """Subtree hashes from stored tiles, each tile read and levelled once."""
    conn = transaction.get_connection()
    alias, cacheable = conn.alias, not conn.in_atomic_block
    local: dict[tuple[int, int], list[bytes]] = {}

    def levels(level: int, n: int) -> list[bytes]:
        got = local.get((level, n))
        if got is not None:
            return got
        if cacheable:
            width = merkle.TILE_WIDTH
            if size is not None:
                # The width this tile has in a tree of `size` leaves.
                span = merkle.TILE_WIDTH ** level
                width = min(merkle.TILE_WIDTH, size // span - n * merkle.TILE_WIDTH)
            hit = _LEVELS.get((alias, waitlist_id, level, n, width))
            if hit is not None:
                local[(level, n)] = hit
                return hit
        hashes = _load_tile(waitlist_id, level, n)
        got = local[(level, n)] = merkle.tile_levels(hashes)
        if cacheable and hashes:
            if len(_LEVELS) >= _LEVELS_MAX:
                _LEVELS.clear()
            _LEVELS[(alias, waitlist_id, level, n, len(hashes))] = got
        return got

    return lambda h, i: merkle.subtree_from_levels(levels, h, i)


def append(waitlist: Waitlist, events: Sequence[NewEvent]) -> int:
    """Append events; the caller holds the Waitlist row lock inside a transaction."""
    if not events:
        return 0
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
    conn = transaction.get_connection()
    adapt = conn.ops.adapt_datetimefield_value
    if conn.vendor == "sqlite":  # what the SQLite backend stores, without its per-call cost
        adapt = lambda v: str(v.astimezone(dt.UTC).replace(tzinfo=None))  # noqa: E731
    rows = []
    wid = waitlist.pk
    for offset, ev in enumerate(events):
        idx = size + offset
        data = entry_bytes(port=slug, index=idx, event=ev.event, number=ev.number, size=ev.size,
                           at=ev.at, commitment=ev.commitment, detail=ev.detail)
        tree.append(merkle.leaf_hash(data))
        rows.append((wid, idx, str(ev.event), ev.number, ev.size, adapt(ev.at), ev.commitment,
                     ev.detail))
    # A plain executemany: the ORM's bulk_create costs more than the hashing here.
    qn = conn.ops.quote_name
    cols = ", ".join(qn(c) for c in ("waitlist_id", "index", "event", "number", "size", "at",
                                     "commitment", "detail"))
    sql = f"INSERT INTO {qn(LogEvent._meta.db_table)} ({cols}) VALUES ({', '.join(['%s'] * 8)})"
    with conn.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i:i + 5000])
    _save_tiles(wid, tree, existing)
    waitlist.log_size = tree.size
    Waitlist.objects.filter(pk=wid).update(log_size=tree.size)
    return len(rows)


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
    return merkle.root(size, reader(waitlist.pk, size))


def inclusion(waitlist: Waitlist, index: int, size: int | None = None) -> dict[str, Any]:
    size = waitlist.log_size if size is None else size
    if size > waitlist.log_size:
        raise merkle.ProofError("tree size beyond the log")
    rd = reader(waitlist.pk, size)
    proof = merkle.inclusion_proof(index, size, rd)
    return {"index": index, "tree_size": size, "leaf_hash": rd(0, index).hex(),
            "root_hash": merkle.root(size, rd).hex(), "proof": [p.hex() for p in proof]}


def consistency(waitlist: Waitlist, old: int, new: int | None = None) -> dict[str, Any]:
    new = waitlist.log_size if new is None else new
    if new > waitlist.log_size:
        raise merkle.ProofError("tree size beyond the log")
    rd = reader(waitlist.pk, new)
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


def _raw_rows(waitlist: Waitlist) -> Iterable[tuple]:
    """All entries in index order, straight from the cursor (the ORM's converters cost
    more than the hashing). SQLite's UTC text times are passed on as canonical text."""
    conn = transaction.get_connection()
    qn = conn.ops.quote_name
    sql = (f"SELECT {qn('index')}, event, number, size, at, commitment, detail "
           f"FROM {qn(LogEvent._meta.db_table)} WHERE waitlist_id = %s ORDER BY {qn('index')}")
    sqlite = conn.vendor == "sqlite"
    with conn.cursor() as cur:
        cur.execute(sql, [waitlist.pk])
        while True:
            chunk = cur.fetchmany(5000)
            if not chunk:
                return
            for index, event, number, size, at, commitment, detail in chunk:
                if sqlite:
                    at = _sqlite_at(at)
                yield index, event, number, size, at, commitment, detail


def _sqlite_at(value: Any) -> Any:
    """SQLite hands back naive UTC datetimes (or text): make them canonical UTC text."""
    if isinstance(value, str):
        date, _sep, time = value.partition(" ")
        if "." not in time:
            time += ".000000"
        return f"{date}T{time}Z"
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


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
    rows = _raw_rows(waitlist)
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
