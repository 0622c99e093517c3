"""Merkle tree hashing and proofs per RFC 6962 / RFC 9162, and tiles per C2SP tlog-tiles.

Pure: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), empty tree =
SHA-256(""). Hashes of complete subtrees are read through a `SubtreeReader`, so proofs work
the same over an in-memory list, stored tiles, or anything else that can name a node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (height, index) -> hash of the complete subtree covering leaves [index*2^h, (index+1)*2^h).
SubtreeReader = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not verify, or its parameters are impossible."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of a list of leaf hashes (RFC 9162 §2.1.1), iteratively."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    level = list(hashes)
    # Pair left to right; an odd last node is promoted, which equals the RFC's split rule.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def range_hash(start: int, end: int, subtree: SubtreeReader) -> bytes:
    """Hash of leaves [start, end) where the range is a node of the RFC recursion."""
    size = end - start
    if size <= 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return subtree(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(range_hash(start, start + k, subtree), range_hash(start + k, end, subtree))


def root(size: int, subtree: SubtreeReader) -> bytes:
    return range_hash(0, size, subtree)


def inclusion_proof(index: int, size: int, subtree: SubtreeReader) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf-side first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down, collecting siblings root-side first, then reverse.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_hash(start + k, end, subtree))
            end = start + k
        else:
            path.append(range_hash(start, start + k, subtree))
            start = start + k
    path.reverse()
    return path


def consistency_proof(old: int, new: int, subtree: SubtreeReader) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1."""
    if not 0 <= old <= new:
        raise ProofError(f"cannot prove {old} -> {new}")
    if old == 0 or old == new:
        return []
    return _subproof(old, 0, new, True, subtree)


def _subproof(m: int, start: int, end: int, b: bool, subtree: SubtreeReader) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if b else [range_hash(start, end, subtree)]
    k = _split(n)
    if m <= k:
        return _subproof(m, start, start + k, b, subtree) + [range_hash(start + k, end, subtree)]
    left = range_hash(start, start + k, subtree)
    return _subproof(m - k, start + k, end, False, subtree) + [left]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     expected_root: bytes) -> None:
    """RFC 9162 §2.1.3.2. Raises ProofError unless the proof leads to expected_root."""
    if index >= size:
        raise ProofError("index beyond tree size")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != expected_root:
        raise ProofError("inclusion proof does not match the root")


def verify_consistency(old: int, new: int, proof: Sequence[bytes], old_root: bytes,
                       new_root: bytes) -> None:
    """RFC 9162 §2.1.4.2."""
    if old > new:
        raise ProofError("old size larger than new size")
    if old == new:
        if proof or old_root != new_root:
            raise ProofError("equal sizes need an empty proof and equal roots")
        return
    if old == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError("consistency proof does not match the roots")


# --- tiles (C2SP tlog-tiles) ----------------------------------------------------------


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """`tile/<L>/<N>[.p/<W>]` with N split into 3-digit elements, all but the last x-prefixed."""
    digits = f"{index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    parts = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    n = "/".join([f"x{p}" for p in parts[:-1]] + [parts[-1]])
    out = f"tile/{level}/{n}"
    if width < TILE_WIDTH:
        out += f".p/{width}"
    return out


def parse_tile_index(text: str) -> int:
    """Inverse of the N part of tile_path; raises ValueError on anything malformed."""
    parts = text.split("/")
    if not parts or any(len(p) != (4 if i < len(parts) - 1 else 3) for i, p in enumerate(parts)):
        raise ValueError(text)
    digits = ""
    for i, p in enumerate(parts):
        if i < len(parts) - 1:
            if p[0] != "x":
                raise ValueError(text)
            p = p[1:]
        if not p.isdigit() or not p.isascii():
            raise ValueError(text)
        digits += p
    return int(digits)


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """tlog-tiles entry bundle: each entry as a big-endian uint16 length then its bytes."""
    out = bytearray()
    for e in entries:
        if len(e) > 0xFFFF:
            raise ValueError("entry too long for a bundle")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


@dataclass
class TileTree:
    """An append-only tree kept as tiles: tiles[(level, n)] holds up to 256 hashes of
    height 8*level. Append touches one tile per full level, so it is O(log n)."""

    size: int = 0
    tiles: dict[tuple[int, int], list[bytes]] = field(default_factory=dict)
    dirty: set[tuple[int, int]] = field(default_factory=set)

    def append(self, leaf: bytes) -> None:
        pos, level, carry = self.size, 0, leaf
        while True:
            key = (level, pos // TILE_WIDTH)
            tile = self.tiles.setdefault(key, [])
            if len(tile) != pos % TILE_WIDTH:
                raise ProofError(f"tile {key} out of step with the tree size")
            tile.append(carry)
            self.dirty.add(key)
            if len(tile) < TILE_WIDTH:
                break
            carry = mth(tile)
            pos //= TILE_WIDTH
            level += 1
        self.size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaves at once: each tile is extended by a slice and each tile
        that fills is hashed once, level by level (the same tiles as one append each)."""
        self._extend(0, self.size, leaves)
        self.size += len(leaves)

    def _extend(self, level: int, pos: int, hashes: Sequence[bytes]) -> None:
        # pos: how many hashes this level held before (complete subtrees of height 8*level).
        parents: list[bytes] = []
        first_parent = pos // TILE_WIDTH
        i, n = 0, len(hashes)
        while i < n:
            key = (level, pos // TILE_WIDTH)
            tile = self.tiles.get(key)
            if tile is None:
                tile = self.tiles[key] = []
            if len(tile) != pos % TILE_WIDTH:
                raise ProofError(f"tile {key} out of step with the tree size")
            take = min(TILE_WIDTH - len(tile), n - i)
            tile.extend(hashes[i:i + take])
            self.dirty.add(key)
            i += take
            pos += take
            if len(tile) == TILE_WIDTH:
                parents.append(mth_full(tile))
        if parents:
            self._extend(level + 1, first_parent, parents)

    def subtree(self, height: int, index: int) -> bytes:
        return subtree_from_tiles(lambda lv, n: self.tiles.get((lv, n), []), height, index)


def mth_full(hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of a power-of-two count of hashes (a full tile), tight loop."""
    sha = hashlib.sha256
    level = list(hashes)
    while len(level) > 1:
        it = iter(level)
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=True)]
    return level[0]


def subtree_from_tiles(get_tile: Callable[[int, int], Sequence[bytes]], height: int,
                       index: int) -> bytes:
    """Hash of a complete subtree from the tile holding its level: at most 128 hashes."""
    level, rest = divmod(height, TILE_HEIGHT)
    span = 1 << rest
    first = index * span
    tile = get_tile(level, first // TILE_WIDTH)
    off = first % TILE_WIDTH
    chunk = tile[off:off + span]
    if len(chunk) != span:
        raise ProofError(f"subtree ({height}, {index}) is not complete in the stored tiles")
    return mth(chunk)


def tile_levels(hashes: Sequence[bytes]) -> list[bytes]:
    """All complete inner nodes of a tile, one concatenated blob per level: 32-byte slot j of
    levels[r] covers hashes [j*2^r, (j+1)*2^r). Blobs keep a cached tile small in memory."""
    sha = hashlib.sha256
    level = list(hashes)
    out = [b"".join(level)]
    while len(level) >= 2:
        it = iter(level)  # pairs; an odd last hash has no complete parent
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]
        out.append(b"".join(level))
    return out


def subtree_from_levels(get_levels: Callable[[int, int], list[bytes]], height: int,
                        index: int) -> bytes:
    """Like subtree_from_tiles, from precomputed tile levels: a lookup, no hashing."""
    level, rest = divmod(height, TILE_HEIGHT)
    first = index << rest
    levels = get_levels(level, first // TILE_WIDTH)
    j = ((first % TILE_WIDTH) >> rest) * HASH_SIZE
    if rest >= len(levels) or j + HASH_SIZE > len(levels[rest]):
        raise ProofError(f"subtree ({height}, {index}) is not complete in the stored tiles")
    return levels[rest][j:j + HASH_SIZE]
