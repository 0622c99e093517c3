"""A public GET never writes: no waitlist row, checkpoint, audit event or key file appears."""

from __future__ import annotations

import pytest
from django.test import Client

from garita.audit.models import AuditEvent
from garita.waitlist import keys, note, services
from garita.waitlist import log as wlog
from garita.waitlist.models import Checkpoint, Waitlist

pytestmark = pytest.mark.django_db

PUBLIC_GETS = [
    "/waitlist/{p}/", "/waitlist/{p}/?number=3", "/waitlist/{p}.json",
    "/waitlist/{p}.json?number=3", "/waitlist/{p}/position/", "/waitlist/{p}/log/checkpoint",
    "/waitlist/{p}/log/key", "/waitlist/{p}/log/tile/0/000.p/1",
    "/waitlist/{p}/log/tile/entries/000.p/1", "/api/v1/waitlist/{p}/board",
    "/api/v1/waitlist/{p}/numbers/3", "/api/v1/waitlist/{p}/history?days=7",
    "/api/v1/waitlist/{p}/log/proof?index=0", "/api/v1/waitlist/{p}/log/consistency?old=0",
]


def _snapshot(settings) -> tuple:
    key_dir = settings.GARITA_KEY_DIR
    files = sorted(p.name for p in key_dir.iterdir()) if key_dir.exists() else []
    return (Waitlist.objects.count(), Checkpoint.objects.count(), AuditEvent.objects.count(),
            files)


def test_public_gets_on_a_port_whose_list_was_never_used_write_nothing(ports, settings):
    assert not Waitlist.objects.filter(port__slug="el-paso").exists()
    before = _snapshot(settings)
    client = Client()
    statuses = {url: client.get(url.format(p="el-paso")).status_code for url in PUBLIC_GETS}
    assert _snapshot(settings) == before
    assert all(s < 500 for s in statuses.values()), statuses
    assert statuses["/waitlist/{p}/"] == 200
    assert statuses["/waitlist/{p}/log/checkpoint"] == 404
    assert client.get("/waitlist/el-paso.json").json()["groups_waiting"] == 0


def test_public_gets_on_a_used_list_write_nothing_and_sign_the_checkpoint_in_memory(
        register, settings):
    register(2)
    register(3)
    before = _snapshot(settings)
    client = Client()
    for url in PUBLIC_GETS:
        assert client.get(url.format(p="san-ysidro")).status_code < 500, url
    assert _snapshot(settings) == before
    served = client.get("/waitlist/san-ysidro/log/checkpoint").content.decode()
    vkey = note.parse_verifier_key(keys.public_verifier_key("san-ysidro"))
    _origin, size, root = note.parse_checkpoint(note.open_note(served, vkey))
    wl = services.port_waitlist("san-ysidro")
    assert size == wl.log_size and root == wlog.root_hash(wl)
    # Ed25519 is deterministic: what a write stores later is what the GET served.
    assert services.publish_checkpoint(port="san-ysidro").note == served
    assert Checkpoint.objects.count() == before[1] + 1
