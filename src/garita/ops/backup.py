"""Backup archives: the database plus the signing keys, in one tar with a checked manifest.

An archive is restorable only into the same database vendor, and only when every member's
SHA-256 matches the manifest; anything else is refused before a single row is touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

import garita

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database/garita.sqlite3", "postgresql": "database/garita.pgdump"}
KEYS_PREFIX = "keys/"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; `code` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RestoreReport:
    vendor: str
    created_at: str
    garita_version: str
    keys_restored: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(alias: str) -> dict[str, str]:
    """libpq settings from Django's connection settings; the password never goes in argv."""
    conf = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        value = conf.get(key)
        if value:
            env[var] = str(value)
    return env


def _run(argv: list[str], *, env: Mapping[str, str], what: str) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupError("backup.tool_missing", f"{argv[0]} is not installed (needed for {what})")
    proc = subprocess.run([tool, *argv[1:]], env=dict(env), capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"backup.{what}_failed", proc.stderr.strip() or f"{argv[0]} failed")


def _dump_database(alias: str, out: Path) -> str:
    connection = connections[alias]
    vendor = connection.vendor
    if vendor == "sqlite":
        # The online backup API copies a consistent snapshot while others keep writing.
        # Inside an open write transaction on this connection it would wait forever.
        if connection.in_atomic_block:
            raise BackupError("backup.in_transaction", "cannot back up inside a transaction")
        connection.ensure_connection()
        target = sqlite3.connect(out)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(out)],
             env=_pg_env(alias), what="dump")
    else:
        raise BackupError("backup.vendor_unsupported", f"cannot back up a {vendor} database")
    return vendor


def _key_files(key_dir: Path) -> list[Path]:
    if not key_dir.is_dir():
        return []
    return sorted(p for p in key_dir.rglob("*") if p.is_file())


def _migration_heads(alias: str) -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    heads: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[alias]).applied_migrations():
        heads[app] = max(heads.get(app, ""), name)
    return dict(sorted(heads.items()))


def create_backup(
    dest: Path, *, alias: str = "default", key_dir: Path | None = None
) -> dict[str, Any]:
    """Write a backup archive to `dest` (mode 0600) and return its manifest."""
    key_dir = Path(key_dir if key_dir is not None else settings.GARITA_KEY_DIR)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="garita-backup-") as tmp:
        vendor = connections[alias].vendor
        member = DB_MEMBER.get(vendor)
        if member is None:
            raise BackupError("backup.vendor_unsupported", f"cannot back up a {vendor} database")
        db_file = Path(tmp) / Path(member).name
        _dump_database(alias, db_file)
        files: list[tuple[str, Path]] = [(member, db_file)]
        files += [(KEYS_PREFIX + p.relative_to(key_dir).as_posix(), p) for p in _key_files(key_dir)]
        manifest = {
            "format_version": FORMAT_VERSION,
            "database_vendor": vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "garita_version": garita.__version__,
            "migrations": _migration_heads(alias),
            "members": {name: {"sha256": _sha256_file(path), "size": path.stat().st_size}
                        for name, path in files},
        }
        partial = dest.with_name(dest.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
            for name, path in files:
                tar.add(path, arcname=name, recursive=False)
        # Only a complete archive takes the final name: a crash leaves a .partial file.
        os.replace(partial, dest)
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            fh = tar.extractfile(MANIFEST)
            if fh is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(fh.read())
    except FileNotFoundError as exc:
        raise BackupError("restore.archive_missing", f"no such archive: {archive}") from exc
    except KeyError as exc:
        raise BackupError("restore.archive_corrupt", "the archive has no manifest.json") from exc
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError("restore.archive_corrupt", f"cannot read the archive: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("restore.format_unsupported",
                          f"archive format {manifest.get('format_version')!r} is not "
                          f"{FORMAT_VERSION}" if isinstance(manifest, dict) else "bad manifest")
    return manifest


def _safe_member_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _extract_verified(archive: Path, manifest: dict[str, Any], into: Path) -> None:
    """Extract every manifest member and check its SHA-256; refuse extras and gaps."""
    expected: dict[str, dict[str, Any]] = manifest.get("members", {})
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for info in tar:
                if info.name == MANIFEST:
                    continue
                if info.name not in expected or not info.isfile() or not _safe_member_name(
                        info.name):
                    raise BackupError("restore.archive_corrupt",
                                      f"unexpected member in archive: {info.name}")
                target = into / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(info)
                assert src is not None
                with target.open("wb") as out:
                    shutil.copyfileobj(src, out)
                if _sha256_file(target) != expected[info.name]["sha256"]:
                    raise BackupError("restore.checksum_mismatch",
                                      f"{info.name} does not match its SHA-256 in the manifest")
                seen.add(info.name)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError("restore.archive_corrupt", f"cannot read the archive: {exc}") from exc
    missing = set(expected) - seen
    if missing:
        raise BackupError("restore.archive_corrupt",
                          f"members missing from the archive: {', '.join(sorted(missing))}")


def _restore_database(alias: str, vendor: str, db_file: Path) -> None:
    connection = connections[alias]
    if vendor == "sqlite":
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise BackupError("restore.in_transaction", "cannot restore inside a transaction")
        source = sqlite3.connect(db_file)
        try:
            # Copies every page into the live database: a clean replacement, not a merge.
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        connection.close()  # hold no locks while pg_restore drops and recreates tables
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", "--dbname",
              str(connection.settings_dict["NAME"]), str(db_file)],
             env=_pg_env(alias), what="restore")


def _restore_keys(root: Path, key_dir: Path) -> int:
    src = root / KEYS_PREFIX
    if not src.is_dir():
        return 0
    count = 0
    key_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        target = key_dir / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
        count += 1
    return count


def restore_backup(archive: Path, *, alias: str = "default", key_dir: Path | None = None,
                   restore_keys: bool = True) -> RestoreReport:
    """Replace the database (and the signing keys) with the archive's contents."""
    archive = Path(archive)
    key_dir = Path(key_dir if key_dir is not None else settings.GARITA_KEY_DIR)
    manifest = read_manifest(archive)
    vendor = connections[alias].vendor
    if manifest.get("database_vendor") != vendor:
        raise BackupError(
            "restore.vendor_mismatch",
            f"the archive holds a {manifest.get('database_vendor')} database but this "
            f"installation uses {vendor}; restore it into a {manifest.get('database_vendor')} "
            "database",
        )
    member = DB_MEMBER[vendor]
    if member not in manifest.get("members", {}):
        raise BackupError("restore.archive_corrupt", f"the archive has no {member}")
    with tempfile.TemporaryDirectory(prefix="garita-restore-") as tmp:
        root = Path(tmp)
        _extract_verified(archive, manifest, root)
        _restore_database(alias, vendor, root / member)
        keys = _restore_keys(root, key_dir) if restore_keys else 0
    return RestoreReport(vendor=vendor, created_at=str(manifest.get("created_at")),
                         garita_version=str(manifest.get("garita_version")), keys_restored=keys)
