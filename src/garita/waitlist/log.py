"""The per-port transparency log in the database: append, tiles, proofs, checkpoints, verify.

Callers append inside their own transaction while holding the Waitlist row lock, so log
rows, tiles and the waitlist change commit together or not at all. Full tiles never
change, so they are cached in memory; the right-edge partial tiles are always re-read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from garita.waitlist import domain, keys, merkle, note
from garita.waitlist.domain import entries_bytes, entry_bytes
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


def _load_tile(waitlist_id: int | None, level: int, index: int) -> list[bytes]:
    """One stored tile's hashes (empty if none). A raw cursor: a cold inclusion proof is
    mostly this query, and the ORM's query building costs more than the query itself."""
    if waitlist_id is None:
        return []
    conn = transaction.get_connection()
    qn = conn.ops.quote_name
    with conn.cursor() as cur:
        cur.execute(f"SELECT hashes FROM {qn(LogTile._meta.db_table)} WHERE waitlist_id = %s "
                    f"AND level = %s AND {qn('index')} = %s", [waitlist_id, level, index])
        row = cur.fetchone()
    return _split_hashes(bytes(row[0])) if row is not None else []


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
    """Append events; the caller holds the Waitlist row lock inside a transaction.

    One pass: canonical entries, leaf hashes, the right-edge tiles extended in bulk (each
    touched tile written once), and the rows inserted with a plain executemany."""
    if not events:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("log.append must run inside a transaction")
    slug = waitlist.port.slug
    keys.signing_key(slug)  # the key is made by the first write, never by a read
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
    sqlite = conn.vendor == "sqlite"
    adapt = conn.ops.adapt_datetimefield_value
    wid = waitlist.pk
    zero, utc = dt.timedelta(0), dt.UTC
    entry_rows, rows = [], []
    for offset, ev in enumerate(events):
        at = ev.at
        if at.utcoffset() != zero:
            at = at.astimezone(utc)
        iso = at.isoformat(timespec="microseconds")  # YYYY-MM-DDTHH:MM:SS.ffffff+00:00
        event = str(ev.event)
        entry_rows.append((size + offset, event, ev.number, ev.size, iso[:26] + "Z",
                           ev.commitment, ev.detail))
        # What Django's SQLite backend stores (str() of the naive UTC time), without
        # its per-call cost; other backends get their own adapter.
        db_at = (iso[:10] + " " + iso[11:19] + (iso[19:26] if at.microsecond else "")
                 if sqlite else adapt(ev.at))
        rows.append((wid, size + offset, event, ev.number, ev.size, db_at, ev.commitment,
                     ev.detail))
    sha = hashlib.sha256
    tree.extend([sha(b"\x00" + e).digest() for e in entries_bytes(slug, entry_rows)])
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


def checkpoint_note(waitlist: Waitlist) -> str:
    """The signed checkpoint of the log's current size, for a read: the stored one when
    there is one, else signed in memory and not stored (Ed25519 signatures are
    deterministic, so it is byte for byte the note `latest_checkpoint` would store).
    Raises keys.NoKey when the port's log was never written."""
    cp = (Checkpoint.objects.filter(waitlist_id=waitlist.pk, size=waitlist.log_size)
          .order_by("-id").values_list("note", flat=True).first())
    if cp is not None:
        return cp
    slug = waitlist.port.slug
    key = keys.signing_key(slug, create=False)
    text = note.checkpoint_text(keys.origin(slug), waitlist.log_size, root_hash(waitlist))
    return note.sign_note(text, keys.origin(slug), key)


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


def _sqlite_at(value: Any) -> Any:
    """SQLite's stored UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]") as canonical entry text."""
    if isinstance(value, str):
        date, _sep, time = value.partition(" ")
        if "." not in time:
            time += ".000000"
        return f"{date}T{time}Z"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return domain.canonical_at(value)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    size: int
    root: str
    problem: str = ""
    first_bad_index: int | None = None


# Rows are read and checked this many at a time (a whole number of tiles).
VERIFY_CHUNK = 256 * merkle.TILE_WIDTH


def _rows_between(conn: Any, waitlist_id: int, start: int, end: int) -> list[tuple]:
    """Entries with start <= index < end straight from the cursor (the ORM's converters
    cost more than the hashing); times become canonical entry text."""
    qn = conn.ops.quote_name
    sqlite = conn.vendor == "sqlite"
    # CAST keeps SQLite's datetime converter away: the stored text is already UTC.
    at_col = "CAST(at AS TEXT)" if sqlite else "at"
    sql = (f"SELECT {qn('index')}, event, number, size, {at_col}, commitment, detail "
           f"FROM {qn(LogEvent._meta.db_table)} WHERE waitlist_id = %s "
           f"AND {qn('index')} >= %s AND {qn('index')} < %s ORDER BY {qn('index')}")
    with conn.cursor() as cur:
        cur.execute(sql, [waitlist_id, start, end])
        rows = cur.fetchall()
    fix = _sqlite_at if sqlite else domain.canonical_at
    return [(i, e, n, sz, fix(at), c, d) for i, e, n, sz, at, c, d in rows]


def _tiles_between(conn: Any, waitlist_id: int, level: int, start: int,
                   end: int) -> dict[int, bytes]:
    qn = conn.ops.quote_name
    sql = (f"SELECT {qn('index')}, hashes FROM {qn(LogTile._meta.db_table)} "
           f"WHERE waitlist_id = %s AND level = %s AND {qn('index')} >= %s "
           f"AND {qn('index')} < %s")
    with conn.cursor() as cur:
        cur.execute(sql, [waitlist_id, level, start, end])
        return {n: bytes(h) for n, h in cur.fetchall()}


def _first_difference(a: bytes, b: bytes) -> int:
    """Index of the first 32-byte hash where two concatenations differ."""
    for i in range(0, max(len(a), len(b)), HS):
        if a[i:i + HS] != b[i:i + HS]:
            return i // HS
    return -1


def verify(waitlist: Waitlist, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Recompute every entry from its row and every tile from the entries, compare with
    the stored tiles and every signed checkpoint. Stops at the first bad entry.

    One streaming pass over the rows, a whole number of tiles at a time: each tile's leaf
    hashes are compared with the stored tile as one blob, and each full tile's hash is
    kept for the level above (1/256 of the leaves), which is checked the same way."""
    slug = waitlist.port.slug
    wid = waitlist.pk
    size = waitlist.log_size
    conn = transaction.get_connection()
    clear_cache()
    sha = hashlib.sha256
    tw = merkle.TILE_WIDTH
    parents: list[bytes] = []  # hashes of the full level-0 tiles, in order
    checkpoints = list(Checkpoint.objects.filter(waitlist_id=wid).order_by("size"))
    # Level-0 tiles needed later for a root: the right edge of the log and of each checkpoint.
    keep = {size // tw} | {cp.size // tw for cp in checkpoints}
    kept: dict[int, list[bytes]] = {}

    def bad(index: int, problem: str) -> VerifyResult:
        return VerifyResult(False, index, "", problem, index)

    for start in range(0, size, VERIFY_CHUNK):
        end = min(size, start + VERIFY_CHUNK)
        rows = _rows_between(conn, wid, start, end)
        if len(rows) != end - start:
            for expected, row in enumerate(rows, start):
                if row[0] != expected:
                    return bad(expected, f"entry {expected} is missing")
            return bad(start + len(rows), f"entry {start + len(rows)} is missing")
        leaves = [sha(b"\x00" + e).digest() for e in entries_bytes(slug, rows)]
        stored = _tiles_between(conn, wid, 0, start // tw, (end + tw - 1) // tw)
        for t in range(start // tw, (end + tw - 1) // tw):
            part = leaves[t * tw - start:(t + 1) * tw - start]
            blob = b"".join(part)
            have = stored.get(t, b"")
            if have != blob:
                index = t * tw + _first_difference(have, blob)
                if have.startswith(blob):  # the tiles logged more entries than the rows hold
                    return bad(index, f"entry {index} is missing (it was logged)")
                return bad(index, f"entry {index} was changed: it does not match its logged hash")
            if len(part) == tw:
                parents.append(merkle.mth_full(part))
            if t in keep:
                kept[t] = part
        if progress is not None:
            progress(end)
    extra = LogEvent.objects.filter(waitlist_id=wid, index__gte=size).order_by("index") \
        .values_list("index", flat=True).first()
    if extra is not None:
        return bad(size, f"entry {extra} lies beyond the log's size {size}")
    # Each level above: recompute from the full tiles below and compare with the stored tiles.
    levels: list[list[bytes]] = [[], parents]  # levels[L]: hashes stored in level-L tiles
    level = 1
    while levels[level]:
        hashes = levels[level]
        stored = _tiles_between(conn, wid, level, 0, (len(hashes) + tw - 1) // tw)
        up = []
        for t in range(0, (len(hashes) + tw - 1) // tw):
            part = hashes[t * tw:(t + 1) * tw]
            if stored.get(t, b"") != b"".join(part):
                return VerifyResult(False, size, "", f"tile {level}/{t} does not match", None)
            if len(part) == tw:
                up.append(merkle.mth_full(part))
        levels.append(up)
        level += 1

    def tile(lv: int, n: int) -> Sequence[bytes]:
        if lv == 0:
            return kept.get(n, [])
        return levels[lv][n * tw:(n + 1) * tw] if lv < len(levels) else []

    memo: dict[tuple[int, int], bytes] = {}

    def subtree(h: int, i: int) -> bytes:  # complete subtrees are the same at every size
        hit = memo.get((h, i))
        if hit is None:
            hit = memo[(h, i)] = merkle.subtree_from_tiles(tile, h, i)
        return hit

    fresh_root = merkle.root(size, subtree)
    for cp in checkpoints:
        vkey = note.parse_verifier_key(keys.public_verifier_key(slug))
        try:
            origin, cp_size, cp_root = note.parse_checkpoint(note.open_note(cp.note, vkey))
        except note.NoteError as exc:
            return VerifyResult(False, size, fresh_root.hex(), f"checkpoint {cp.size}: {exc}",
                                None)
        if cp_size > size or cp_size != cp.size or merkle.root(cp_size, subtree) != cp_root:
            return VerifyResult(False, size, fresh_root.hex(),
                                f"checkpoint of size {cp_size} does not match the entries",
                                min(cp_size, size))
    return VerifyResult(True, size, fresh_root.hex())
