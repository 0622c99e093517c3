"""`garita backup` / `garita restore`: a round trip keeps every row and a valid audit chain.

Restore refuses corrupt archives and archives of another database vendor before touching
anything; the signing keys travel with the database.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection

from garita.audit import services as audit
from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain
from garita.ops.backup import MANIFEST, read_manifest

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]


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


def _round_trip(tmp_path: Path, key_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    archive = tmp_path / "garita.tar.gz"
    before = _row_counts()
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "backup written" in out.getvalue()
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds personal data and keys"
    _wipe()
    for path in key_dir.rglob("*"):
        if path.is_file():
            path.unlink()
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    return before, _row_counts()


def test_round_trip_restores_every_row_and_the_audit_chain_verifies(tmp_path, key_dir,
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


def test_round_trip_brings_the_signing_keys_back(tmp_path, key_dir, populated):
    _round_trip(tmp_path, key_dir)
    assert (key_dir / "san-ysidro" / "log_signing.key").read_bytes() == b"\x01" * 32
    assert (key_dir / "san-ysidro" / "log_signing.key").stat().st_mode & 0o077 == 0


def test_transparency_logs_verify_after_restore(tmp_path, key_dir, populated, ports):
    if "waitlist" not in get_commands():
        pytest.skip("`garita waitlist verify` does not exist yet (waitlist is being built)")
    _round_trip(tmp_path, key_dir)
    for slug in ports:
        out = io.StringIO()
        call_command("waitlist", "verify", "--port", slug, stdout=out)


def test_manifest_names_format_vendor_version_and_a_hash_per_member(tmp_path, key_dir,
                                                                   populated):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    manifest = read_manifest(archive)
    assert manifest["format_version"] == 1
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["garita_version"]
    assert manifest["created_at"]
    members = manifest["members"]
    assert "keys/san-ysidro/log_signing.key" in members
    assert all(len(m["sha256"]) == 64 for m in members.values())
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {MANIFEST, *members}


def _rewrite(archive: Path, out: Path, *, manifest_edit=None, member_edit=None) -> None:
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == MANIFEST and manifest_edit:
                manifest = json.loads(data)
                manifest_edit(manifest)
                data = json.dumps(manifest).encode()
            elif info.name != MANIFEST and member_edit and info.name.startswith("database/"):
                data = member_edit(data)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


@pytest.fixture
def archive(tmp_path, key_dir, populated) -> Path:
    path = tmp_path / "good.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def _assert_refused(path: Path, code: str) -> None:
    before = _row_counts()
    with pytest.raises(CommandError) as err:
        call_command("restore", str(path), "--yes", stdout=io.StringIO())
    assert code in str(err.value)
    assert _row_counts() == before, "a refused restore must not change anything"


def test_restore_refuses_an_archive_from_another_database_vendor(tmp_path, archive):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    bad = tmp_path / "vendor.tar.gz"
    _rewrite(archive, bad, manifest_edit=lambda m: m.update(database_vendor=other))
    _assert_refused(bad, "restore.vendor_mismatch")


def test_restore_refuses_a_tampered_database_dump(tmp_path, archive):
    bad = tmp_path / "tampered.tar.gz"
    _rewrite(archive, bad, member_edit=lambda data: data[:-16] + b"\x00" * 16)
    _assert_refused(bad, "restore.checksum_mismatch")


def test_restore_refuses_a_truncated_archive(tmp_path, archive):
    bad = tmp_path / "truncated.tar.gz"
    bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    _assert_refused(bad, "restore.archive_corrupt")


def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path, populated):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a backup")
    _assert_refused(bad, "restore.archive_corrupt")


def test_restore_refuses_an_unknown_format_version(tmp_path, archive):
    bad = tmp_path / "future.tar.gz"
    _rewrite(archive, bad, manifest_edit=lambda m: m.update(format_version=99))
    _assert_refused(bad, "restore.format_unsupported")


def test_restore_check_reads_the_manifest_and_changes_nothing(archive, populated):
    before = _row_counts()
    out = io.StringIO()
    call_command("restore", str(archive), "--check", stdout=out)
    assert "archive OK" in out.getvalue()
    assert _row_counts() == before
