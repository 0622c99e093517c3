"""Merkle hashing and proofs against RFC 6962 known answers and an independent verifier.

The independent routines below are written from RFC 9162 §2.1.3.2 / §2.1.4.2 and from the
recursive definitions of §2.1.1, separately from garita.waitlist.merkle.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garita.waitlist import merkle

H = bytes.fromhex
# RFC 6962 reference test data (certificate-transparency merkle_tree_test).
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
          "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


# --- independent implementation ---------------------------------------------------------

def _h(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def ref_mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, recursive, over raw entries."""
    n = len(data)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + data[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _h(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:]))


def ref_verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes],
                         root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _h(b"\x01" + p + r)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            r = _h(b"\x01" + r + p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root


def ref_verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes,
                           path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, step by step."""
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second or not path:
        return first == 0 and not path
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = _h(b"\x01" + c + fr), _h(b"\x01" + c + sr)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            sr = _h(b"\x01" + sr + c)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and fr == first_hash and sr == second_hash


def _tree(data: list[bytes]) -> merkle.TileTree:
    t = merkle.TileTree()
    for d in data:
        t.append(merkle.leaf_hash(d))
    return t


# --- known answers ----------------------------------------------------------------------

def test_empty_tree_hash_is_sha256_of_nothing():
    assert merkle.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert merkle.root(0, merkle.TileTree().subtree) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_rfc6962_reference_vectors(size):
    data = [H(x) for x in LEAVES[:size]]
    assert merkle.mth([merkle.leaf_hash(d) for d in data]).hex() == ROOTS[size - 1]
    assert merkle.root(size, _tree(data).subtree).hex() == ROOTS[size - 1]
    assert ref_mth(data).hex() == ROOTS[size - 1]


def test_inclusion_proof_matches_the_reference_vector():
    t = _tree([H(x) for x in LEAVES])
    proof = merkle.inclusion_proof(5, 8, t.subtree)
    assert [p.hex() for p in proof] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]


def test_consistency_proofs_match_the_reference_vectors():
    t = _tree([H(x) for x in LEAVES])
    assert [p.hex() for p in merkle.consistency_proof(6, 8, t.subtree)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]
    assert [p.hex() for p in merkle.consistency_proof(2, 5, t.subtree)] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]


# --- properties -------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=700), st.data())
def test_every_inclusion_proof_verifies_independently(size, data):
    entries = [i.to_bytes(4, "big") for i in range(size)]
    t = _tree(entries)
    root = merkle.root(size, t.subtree)
    assert root == ref_mth(entries)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(index, size, t.subtree)
    leaf = merkle.leaf_hash(entries[index])
    assert ref_verify_inclusion(index, size, leaf, proof, root)
    merkle.verify_inclusion(index, size, leaf, proof, root)
    # The same proof must not verify another leaf or another position.
    assert not ref_verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, root)
    if size > 1:
        assert not ref_verify_inclusion((index + 1) % size, size, leaf, proof, root)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=700), st.data())
def test_every_consistency_proof_verifies_independently(new, data):
    entries = [i.to_bytes(4, "big") for i in range(new)]
    t = _tree(entries)
    old = data.draw(st.integers(min_value=1, max_value=new))
    proof = merkle.consistency_proof(old, new, t.subtree)
    old_root, new_root = ref_mth(entries[:old]), ref_mth(entries)
    assert ref_verify_consistency(old, new, old_root, new_root, proof)
    merkle.verify_consistency(old, new, proof, old_root, new_root)
    if old < new:
        forged = ref_mth(entries[: old - 1] + [b"forged"])
        assert not ref_verify_consistency(old, new, forged, new_root, proof)


def test_verifiers_refuse_tampered_proofs():
    t = _tree([H(x) for x in LEAVES])
    root = merkle.root(8, t.subtree)
    proof = merkle.inclusion_proof(5, 8, t.subtree)
    proof[1] = bytes(32)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 8, merkle.leaf_hash(H(LEAVES[5])), proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(8, 8, t.subtree)


def test_tiles_hold_256_hashes_and_carry_full_tiles_up_a_level():
    t = _tree([i.to_bytes(4, "big") for i in range(256 * 2 + 3)])
    assert len(t.tiles[(0, 0)]) == 256 and len(t.tiles[(0, 2)]) == 3
    assert t.tiles[(1, 0)] == [merkle.mth(t.tiles[(0, 0)]), merkle.mth(t.tiles[(0, 1)])]


@pytest.mark.parametrize(("level", "index", "width", "path"), [
    (0, 0, 256, "tile/0/000"),
    (0, 1234067, 256, "tile/0/x001/x234/067"),
    (1, 5, 17, "tile/1/005.p/17"),
    ("entries", 1000, 256, "tile/entries/x001/000"),
])
def test_tile_paths_follow_tlog_tiles(level, index, width, path):
    assert merkle.tile_path(level, index, width) == path
    tail = path.split("/", 2)[2].split(".p/")[0]
    assert merkle.parse_tile_index(tail) == index


@pytest.mark.parametrize("bad", ["", "1", "x1/000", "001/000", "0000", "x001/00a", "x001"])
def test_malformed_tile_indexes_are_refused(bad):
    with pytest.raises(ValueError):
        merkle.parse_tile_index(bad)


def test_entry_bundles_are_length_prefixed():
    assert merkle.entry_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 700), st.lists(st.integers(0, 600), max_size=4))
def test_bulk_extend_builds_the_same_tiles_as_appending_one_by_one(first, more):
    one, bulk = merkle.TileTree(), merkle.TileTree()
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(first + sum(more))]
    for leaf in leaves:
        one.append(leaf)
    pos = 0
    for n in [first, *more]:
        bulk.extend(leaves[pos:pos + n])
        pos += n
    assert bulk.size == one.size == len(leaves)
    assert bulk.tiles == {k: v for k, v in one.tiles.items() if v or k in bulk.tiles}
    assert merkle.root(bulk.size, bulk.subtree) == merkle.mth(leaves)


def test_mth_full_equals_the_rfc_hash_of_a_full_tile():
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(256)]
    assert merkle.mth_full(hashes) == merkle.mth(hashes)
