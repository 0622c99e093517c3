"""The transparency log in the database: checkpoints, proofs, tiles, CLI and tamper detection."""

from __future__ import annotations

import base64
import io
import json
import os
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from garita.waitlist import keys, merkle, note, services
from garita.waitlist import log as wlog
from garita.waitlist.models import LogEvent, LogTile

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(register, officer):
    for i in range(20):
        register(1 + i % 4)
    services.set_capacity(actor=officer, port="san-ysidro", persons=10)
    services.call_next(actor=officer, port="san-ysidro")
    return services.port_waitlist("san-ysidro")


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("waitlist", *args, stdout=out)
    return out.getvalue()


def test_the_checkpoint_is_a_signed_note_that_verifies_with_the_published_key(filled):
    client = Client()
    text = client.get("/waitlist/san-ysidro/log/checkpoint").content.decode()
    vkey = client.get("/waitlist/san-ysidro/log/key").content.decode().strip()
    origin, size, root = note.parse_checkpoint(note.open_note(text, note.parse_verifier_key(vkey)))
    assert origin == keys.origin("san-ysidro") and size == filled.log_size
    assert root == wlog.root_hash(filled)


def test_signing_keys_live_outside_the_database_readable_only_by_the_owner(filled, settings):
    services.publish_checkpoint(port="san-ysidro")
    path = settings.GARITA_KEY_DIR / "waitlist-san-ysidro.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_cli_proof_verifies_against_the_checkpoint_root(filled):
    cp = note.parse_checkpoint(_cli("checkpoint", "--port", "san-ysidro"))
    for index in (0, 17, filled.log_size - 1):
        proof = json.loads(_cli("proof", "--port", "san-ysidro", "--index", str(index)))
        assert proof["tree_size"] == cp[1] and bytes.fromhex(proof["root_hash"]) == cp[2]
        data = wlog.entries(filled, index, 1)[0]
        assert bytes.fromhex(proof["leaf_hash"]) == merkle.leaf_hash(data)
        merkle.verify_inclusion(index, cp[1], merkle.leaf_hash(data),
                                [bytes.fromhex(p) for p in proof["proof"]], cp[2])


def test_cli_consistency_proves_the_log_only_grew(filled, register):
    old_size, old_root = filled.log_size, wlog.root_hash(filled)
    register(2)
    out = json.loads(_cli("consistency", "--port", "san-ysidro", "--old", str(old_size)))
    assert bytes.fromhex(out["old_root"]) == old_root
    merkle.verify_consistency(old_size, out["new_size"], [bytes.fromhex(p) for p in out["proof"]],
                              old_root, bytes.fromhex(out["new_root"]))


def test_cli_refuses_an_unknown_port_and_impossible_proofs(filled):
    with pytest.raises(CommandError):
        _cli("verify", "--port", "nowhere")
    with pytest.raises(CommandError):
        _cli("proof", "--port", "san-ysidro", "--index", str(filled.log_size))


def test_verify_passes_on_an_intact_log(filled):
    services.publish_checkpoint(port="san-ysidro")
    assert json.loads(_cli("verify", "--port", "san-ysidro"))["ok"] is True


def test_verify_names_an_edited_entry(filled):
    LogEvent.objects.filter(waitlist=filled, index=12).update(size=30)
    with pytest.raises(CommandError, match="entry 12 was changed"):
        _cli("verify", "--port", "san-ysidro")


def test_verify_names_a_deleted_entry(filled):
    LogEvent.objects.filter(waitlist=filled, index=7).delete()
    with pytest.raises(CommandError, match="entry 7 is missing"):
        _cli("verify", "--port", "san-ysidro")


def test_verify_catches_reordered_entries(filled):
    a = LogEvent.objects.get(waitlist=filled, index=3)
    b = LogEvent.objects.get(waitlist=filled, index=4)
    LogEvent.objects.filter(pk=a.pk).update(index=10_000)
    LogEvent.objects.filter(pk=b.pk).update(index=3)
    LogEvent.objects.filter(pk=a.pk).update(index=4)
    with pytest.raises(CommandError, match="entry 3 was changed"):
        _cli("verify", "--port", "san-ysidro")


def test_verify_catches_a_dropped_tail_even_with_the_counter_rewound(filled):
    services.publish_checkpoint(port="san-ysidro")
    last = filled.log_size - 1
    LogEvent.objects.filter(waitlist=filled, index=last).delete()
    type(filled).objects.filter(pk=filled.pk).update(log_size=last)
    filled.refresh_from_db()
    with pytest.raises(CommandError, match=f"entry {last} is missing"):
        _cli("verify", "--port", "san-ysidro")


def test_verify_catches_a_dropped_tail_with_counter_and_tiles_rewound(filled):
    services.publish_checkpoint(port="san-ysidro")
    last = filled.log_size - 1
    LogEvent.objects.filter(waitlist=filled, index=last).delete()
    tile = LogTile.objects.get(waitlist=filled, level=0, index=0)
    LogTile.objects.filter(pk=tile.pk).update(hashes=bytes(tile.hashes)[:32 * last])
    type(filled).objects.filter(pk=filled.pk).update(log_size=last)
    filled.refresh_from_db()
    with pytest.raises(CommandError, match=f"checkpoint of size {last + 1} does not match"):
        _cli("verify", "--port", "san-ysidro")


def test_verify_flags_rows_beyond_the_logged_size(filled):
    extra = LogEvent.objects.get(waitlist=filled, index=0)
    extra.pk, extra.index = None, filled.log_size + 3
    extra.save()
    with pytest.raises(CommandError, match=f"entry {filled.log_size + 3} lies beyond"):
        _cli("verify", "--port", "san-ysidro")


def test_tiles_and_entry_bundles_are_served_per_tlog_tiles(filled):
    client = Client()
    n = filled.log_size
    assert n < 256
    tile = client.get(f"/waitlist/san-ysidro/log/tile/0/000.p/{n}")
    assert tile.status_code == 200 and len(tile.content) == 32 * n
    bundle = client.get(f"/waitlist/san-ysidro/log/tile/entries/000.p/{n}").content
    leaves, pos = [], 0
    while pos < len(bundle):
        size = int.from_bytes(bundle[pos:pos + 2], "big")
        leaves.append(merkle.leaf_hash(bundle[pos + 2:pos + 2 + size]))
        pos += 2 + size
    assert b"".join(leaves) == tile.content
    assert merkle.mth(leaves) == wlog.root_hash(filled)
    assert client.get("/waitlist/san-ysidro/log/tile/0/000").status_code == 404
    assert client.get(f"/waitlist/san-ysidro/log/tile/0/000.p/{n + 1}").status_code == 404
    assert client.get("/waitlist/san-ysidro/log/tile/0/0a0").status_code == 404


def test_log_entries_never_contain_names(filled):
    bundle = b"".join(wlog.entries(filled, 0, filled.log_size)).decode()
    assert "Persona" not in bundle and "Apellido" not in bundle


def test_a_log_spanning_several_tiles_proves_every_entry(register, officer):
    wl = services.port_waitlist("san-ysidro")
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        wl = type(wl).objects.select_for_update().select_related("port").get(pk=wl.pk)
        wlog.append(wl, [wlog.NewEvent("capacity_set", timezone.now(), None, i)
                         for i in range(600)])
    with transaction.atomic():
        wl = type(wl).objects.select_for_update().select_related("port").get(pk=wl.pk)
        wlog.append(wl, [wlog.NewEvent("capacity_set", timezone.now(), None, i)
                         for i in range(70)])
    wlog.clear_cache()
    root = wlog.root_hash(wl)
    all_leaves = [merkle.leaf_hash(d) for d in wlog.entries(wl, 0, 670)]
    assert merkle.mth(all_leaves) == root
    for i in (0, 255, 256, 511, 669):
        p = wlog.inclusion(wl, i)
        merkle.verify_inclusion(i, 670, all_leaves[i], [bytes.fromhex(x) for x in p["proof"]],
                                root)
    assert wlog.verify(wl).ok
    assert base64.b64decode(note.checkpoint_text("o", 1, root).split("\n")[2]) == root


@pytest.fixture
def long_log(officer, ports, monkeypatch):
    """A small stand-in for a big log: 1,100 entries read 512 at a time, with
    signed checkpoints inside tiles, so verify crosses chunk and tile boundaries."""
    from django.db import transaction
    from django.utils import timezone

    monkeypatch.setattr(wlog, "VERIFY_CHUNK", 512)
    wl = services.port_waitlist("san-ysidro")
    for count in (300, 500, 300):
        with transaction.atomic():
            wl = type(wl).objects.select_for_update().select_related("port").get(pk=wl.pk)
            wlog.append(wl, [wlog.NewEvent("capacity_set", timezone.now(), None, i,
                                           detail=f"d{i}") for i in range(count)])
        services.publish_checkpoint(port="san-ysidro")
    wl.refresh_from_db()
    return wl


def test_verify_of_a_log_across_chunks_and_tiles_passes_and_matches_the_root(long_log):
    res = wlog.verify(long_log)
    assert res.ok and res.size == 1100
    leaves = [merkle.leaf_hash(d) for d in wlog.entries(long_log, 0, 1100)]
    assert res.root == merkle.mth(leaves).hex()


@pytest.mark.parametrize("index", [0, 511, 512, 777, 1099])
def test_verify_names_an_edited_entry_in_any_chunk(long_log, index):
    LogEvent.objects.filter(waitlist=long_log, index=index).update(detail="bent")
    res = wlog.verify(long_log)
    assert not res.ok and res.first_bad_index == index
    assert f"entry {index} was changed" in res.problem


def test_verify_names_a_deleted_entry_in_a_later_chunk(long_log):
    LogEvent.objects.filter(waitlist=long_log, index=800).delete()
    res = wlog.verify(long_log)
    assert not res.ok and res.first_bad_index == 800 and "entry 800 is missing" in res.problem


def test_verify_catches_a_rewritten_tile_through_the_tiles_above(long_log):
    # Edit an entry and recompute its level-0 tile consistently: the level-1 tile no
    # longer matches (the entry's old hash is folded into it).
    LogEvent.objects.filter(waitlist=long_log, index=5).update(detail="bent")
    data = wlog.entries(long_log, 0, 256)
    LogTile.objects.filter(waitlist=long_log, level=0, index=0).update(
        hashes=b"".join(merkle.leaf_hash(d) for d in data))
    res = wlog.verify(long_log)
    assert not res.ok and "does not match" in res.problem


def test_verify_checks_checkpoints_that_end_inside_a_tile(long_log):
    from garita.waitlist.models import Checkpoint

    sizes = sorted(Checkpoint.objects.filter(waitlist=long_log).values_list("size", flat=True))
    assert sizes == [300, 800, 1100]
    # A forged checkpoint signed by the right key but over other entries is caught.
    forged = note.sign_note(note.checkpoint_text(keys.origin("san-ysidro"), 800, b"\x00" * 32),
                            keys.origin("san-ysidro"), keys.signing_key("san-ysidro"))
    Checkpoint.objects.filter(waitlist=long_log, size=800).update(note=forged)
    res = wlog.verify(long_log)
    assert not res.ok and "checkpoint of size 800 does not match" in res.problem


def test_whole_second_and_local_times_round_trip_through_the_database(ports):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.db import transaction

    tj = ZoneInfo("America/Tijuana")
    times = [dt.datetime(2019, 5, 1, 8, 0, 0, tzinfo=tj),
             dt.datetime(2019, 5, 1, 8, 0, 0, 1, tzinfo=tj),
             dt.datetime(2019, 11, 3, 1, 30, 0, tzinfo=dt.UTC)]
    wl = services.port_waitlist("san-ysidro")
    with transaction.atomic():
        wl = type(wl).objects.select_for_update().select_related("port").get(pk=wl.pk)
        wlog.append(wl, [wlog.NewEvent("capacity_set", at, None, 5) for at in times])
    assert [e.at for e in LogEvent.objects.filter(waitlist=wl).order_by("index")] == times
    assert list(LogEvent.objects.filter(waitlist=wl, at__lte=times[0])
                .values_list("index", flat=True)) == [0]
    res = wlog.verify(wl)
    assert res.ok and res.root == merkle.mth(
        [merkle.leaf_hash(d) for d in wlog.entries(wl, 0, 3)]).hex()
