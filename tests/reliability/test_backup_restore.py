"""`garita backup` / `garita restore`: a round trip keeps every row and a valid audit chain.

Restore refuses corrupt archives and archives of another database vendor before touching
anything; the signing keys travel with the database.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from garita.audit import services as audit
from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain
from garita.ops.backup import DB_MEMBER, MANIFEST, read_manifest

pytestmark = pytest.mark.db_backend
# Round trips replace the whole database, so they run outside the test's transaction;
# refusals change nothing and stay in the cheaper transactional tests.
round_trip = pytest.mark.django_db(transaction=True)


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy}


@pytest.fixture
def key_dir(tmp_path, settings):
    keys = tmp_path / "keys"
    (keys / "san-ysidro").mkdir(parents=True)
    (keys / "san-ysidro" / "log_signing.key").write_bytes(b"\x01" * 32)
    (keys / "README").write_text("signing keys\n")
    settings.GARITA_KEY_DIR = keys
    return keys


@pytest.fixture
def populated(ports):
    from tests.factories import make_case

    cases = [make_case() for _ in range(3)]
    for case in cases:
        audit.record(actor="test", action="case.touch", obj=case, new={"status": case.status})
    return cases


def _wipe() -> None:
    call_command("flush", "--noinput", verbosity=0)
    assert AuditEvent.objects.count() == 0


def _check_manifest(archive: Path) -> None:
    manifest = read_manifest(archive)
    assert manifest["format_version"] == 1
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["garita_version"] and manifest["created_at"]
    members = manifest["members"]
    assert "keys/san-ysidro/log_signing.key" in members
    assert all(len(m["sha256"]) == 64 for m in members.values())
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {MANIFEST, *members}


def _round_trip(tmp_path: Path, key_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    archive = tmp_path / "garita.tar.gz"
    before = _row_counts()
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "backup written" in out.getvalue()
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds personal data and keys"
    _check_manifest(archive)
    _wipe()
    for path in key_dir.rglob("*"):
        if path.is_file():
            path.unlink()
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    return before, _row_counts()


@round_trip
def test_round_trip_restores_every_row_the_keys_and_an_audit_chain_that_verifies(tmp_path, key_dir,
                                                                   populated):
    assert AuditEvent.objects.count() >= 3
    before, after = _round_trip(tmp_path, key_dir)
    assert after == before
    report = verify_chain()
    assert report.ok and report.checked == before["audit.AuditEvent"]
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "audit chain OK" in out.getvalue()
    # The chain continues after a restore: a new event links to the restored head.
    audit.record(actor="test", action="after.restore")
    assert verify_chain().ok
    # The signing keys came back too, readable by the owner only.
    assert (key_dir / "san-ysidro" / "log_signing.key").read_bytes() == b"\x01" * 32
    assert (key_dir / "san-ysidro" / "log_signing.key").stat().st_mode & 0o077 == 0


@round_trip
def test_transparency_logs_verify_after_restore(tmp_path, key_dir, populated, ports, make_user):
    from garita.accounts.roles import Role
    from garita.waitlist import services as wl_services
    from garita.waitlist.models import Waitlist

    officer = make_user(Role.PORT_OFFICER)
    for slug in ("san-ysidro", "calexico"):
        for i in range(4):
            wl_services.register_group(actor=officer, port=slug, members=[
                wl_services.MemberIn(given_names=f"Ana {i}", surnames="Prueba",
                                     nationality="HND")])
        wl_services.call_next(actor=officer, port=slug, capacity=2)

    def logs() -> dict[str, dict]:
        result = {}
        for wl in Waitlist.objects.select_related("port").filter(log_size__gt=0):
            out = io.StringIO()
            call_command("waitlist", "verify", "--port", wl.port.slug, stdout=out)
            result[wl.port.slug] = json.loads(out.getvalue())
        return result

    before = logs()
    assert set(before) == {"san-ysidro", "calexico"}
    assert all(v["ok"] and v["tree_size"] >= 6 for v in before.values())
    _round_trip(tmp_path, key_dir)
    # Every port with a log verifies after the restore, with the same size and root.
    assert logs() == before


def _handmade_archive(path: Path, *, vendor: str | None = None, format_version: int = 1,
                      wrong_hash: bool = False) -> Path:
    """A structurally valid archive without touching the database (refusal tests)."""
    vendor = vendor or connection.vendor
    member = DB_MEMBER[vendor]
    data = b"SQLite format 3\x00" + b"\x00" * 200
    digest = hashlib.sha256(data).hexdigest()
    manifest = {
        "format_version": format_version, "database_vendor": vendor,
        "created_at": "2019-01-29T12:00:00+00:00", "garita_version": "0.1.0",
        "members": {member: {"sha256": "0" * 64 if wrong_hash else digest, "size": len(data)}},
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in ((MANIFEST, json.dumps(manifest).encode()), (member, data)):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def _assert_refused(path: Path, code: str) -> None:
    before = _row_counts()
    with pytest.raises(CommandError) as err:
        call_command("restore", str(path), "--yes", stdout=io.StringIO())
    assert code in str(err.value)
    assert _row_counts() == before, "a refused restore must not change anything"


@pytest.mark.django_db
def test_restore_refuses_an_archive_from_another_database_vendor(tmp_path, populated):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    _assert_refused(_handmade_archive(tmp_path / "v.tar.gz", vendor=other),
                    "restore.vendor_mismatch")


@pytest.mark.django_db
def test_restore_refuses_a_tampered_database_dump(tmp_path, populated):
    _assert_refused(_handmade_archive(tmp_path / "t.tar.gz", wrong_hash=True),
                    "restore.checksum_mismatch")


@pytest.mark.django_db
def test_restore_refuses_a_truncated_archive(tmp_path, populated):
    good = _handmade_archive(tmp_path / "good.tar.gz")
    bad = tmp_path / "truncated.tar.gz"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _assert_refused(bad, "restore.archive_corrupt")


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path, populated):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a backup")
    _assert_refused(bad, "restore.archive_corrupt")


@pytest.mark.django_db
def test_restore_refuses_an_unknown_format_version(tmp_path, populated):
    _assert_refused(_handmade_archive(tmp_path / "f.tar.gz", format_version=99),
                    "restore.format_unsupported")


@pytest.mark.django_db
def test_restore_check_reads_the_manifest_and_changes_nothing(tmp_path, populated):
    archive = _handmade_archive(tmp_path / "ok.tar.gz")
    before = _row_counts()
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert "archive OK" in out.getvalue()
    assert _row_counts() == before


@pytest.mark.django_db
def test_backup_inside_a_transaction_is_refused_not_hung(tmp_path, populated):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite's online backup would wait on its own transaction")
    with pytest.raises(CommandError) as err:
        call_command("backup", str(tmp_path / "x.tar.gz"), stdout=io.StringIO())
    assert "backup.in_transaction" in str(err.value)
