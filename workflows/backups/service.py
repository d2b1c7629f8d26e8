"""Making, listing, restoring and verifying backups (plain functions, blocking: callers in an event loop use
asyncio.to_thread). A backup is one encrypted file: a tar.gz of manifest.json (time, engine, per-table row counts and
checksums), the database snapshot and the media folder. Recording runs and telling admins is workflows.backups.runs.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workflows.backups.crypto import BackupKeyError, decrypt_file, encrypt_file
from workflows.backups.destinations import Destination, open_destination
from workflows.backups.retention import backup_name, expired, taken_at
from workflows.backups.snapshot import (
    SnapshotError,
    checksums,
    dump_database,
    engine_of,
    libpq,
    restore_database,
)
from workflows.clock import utcnow
from workflows.settings import Settings


@dataclass(frozen=True)
class BackupResult:
    name: str
    destination: str
    size_bytes: int
    seconds: float
    tables: int
    rows: int
    media_files: int
    deleted: list[str] = field(default_factory=list)  # removed by retention


@dataclass(frozen=True)
class RestoreResult:
    name: str
    seconds: float
    tables: int
    rows: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class VerifyResult:
    name: str
    seconds: float
    tables: int
    rows: int
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _key(settings: Settings) -> str:
    if not settings.backup_key:
        raise BackupKeyError("LINLI_BACKUP_KEY is not set (make one: linli backup keygen; keep a copy off-site)")
    return settings.backup_key


def create_backup(settings: Settings, *, now: datetime | None = None) -> BackupResult:
    """Snapshot the database and the media folder, encrypt, store at the destination, then apply retention."""
    started = time.monotonic()
    key, destination = _key(settings), open_destination(settings)
    now = now or utcnow()
    name = backup_name(now)
    with tempfile.TemporaryDirectory(prefix="linli-backup-") as tmp:
        work = Path(tmp)
        database_file, sums = dump_database(settings.database_url, work)
        media = Path(settings.media_dir)
        media_files = sum(1 for p in media.rglob("*") if p.is_file()) if media.is_dir() else 0
        manifest = {"format": 1, "taken_at": now.isoformat(), "engine": engine_of(settings.database_url),
                    "database_file": database_file, "tables": sums, "media_files": media_files}
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        archive = work / "backup.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(work / database_file, database_file)
            if media.is_dir():
                tar.add(media, "media")
        sealed = work / name
        encrypt_file(archive, sealed, key)
        size = sealed.stat().st_size
        destination.put(name, sealed)
    deleted = apply_retention(settings, destination)
    return BackupResult(name=name, destination=destination.description, size_bytes=size,
                        seconds=time.monotonic() - started, tables=len(sums),
                        rows=sum(t["rows"] for t in sums.values()), media_files=media_files, deleted=deleted)


def apply_retention(settings: Settings, destination: Destination) -> list[str]:
    old = expired(destination.names(), daily=settings.backup_keep_daily, weekly=settings.backup_keep_weekly,
                  monthly=settings.backup_keep_monthly, tz=settings.tz)
    for name in old:
        destination.delete(name)
    return old


def list_backups(settings: Settings) -> list[str]:
    """Backups at the destination, newest first."""
    return sorted((n for n in open_destination(settings).names() if taken_at(n)), reverse=True)


def _unpack(settings: Settings, name: str | None, folder: Path) -> tuple[str, dict[str, Any]]:
    """Fetch (the latest when name is None), decrypt and unpack into folder; returns the name and the manifest."""
    names = list_backups(settings)
    if not names:
        raise SnapshotError(f"no backup at {open_destination(settings).description}")
    name = name or names[0]
    if name not in names:
        raise SnapshotError(f"no backup named {name}")
    sealed, archive = folder / name, folder / "backup.tar.gz"
    open_destination(settings).fetch(name, sealed)
    decrypt_file(sealed, archive, _key(settings))
    sealed.unlink()
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(folder / "unpacked", filter="data")
    archive.unlink()
    return name, json.loads((folder / "unpacked" / "manifest.json").read_text())


def restore_backup(settings: Settings, name: str | None = None, *, database_url: str | None = None,
                   media_dir: str | None = None) -> RestoreResult:
    """Restore a backup (the latest by default) into an empty database and the media folder."""
    started = time.monotonic()
    database_url = database_url or settings.database_url
    with tempfile.TemporaryDirectory(prefix="linli-restore-") as tmp:
        name, manifest = _unpack(settings, name, Path(tmp))
        unpacked = Path(tmp) / "unpacked"
        restore_database(unpacked / manifest["database_file"], database_url)
        if (unpacked / "media").is_dir():
            shutil.copytree(unpacked / "media", media_dir or settings.media_dir, dirs_exist_ok=True)
    tables = manifest["tables"]
    return RestoreResult(name=name, seconds=time.monotonic() - started, tables=len(tables),
                         rows=sum(t["rows"] for t in tables.values()), manifest=manifest)


def compare(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """Per-table differences in row count or checksum, for people."""
    problems = []
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want is None or got is None:
            problems.append(f"{table}: {'missing after restore' if got is None else 'not in the backup'}")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: {want['rows']} rows in the backup, {got['rows']} after restore")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"{table}: same row count, different content")
    return problems


def verify_backup(settings: Settings, name: str | None = None) -> VerifyResult:
    """The drill: restore a backup (the latest by default) into a scratch database, compare every table's row count
    and checksum with those taken from the source at snapshot time, drop the scratch database."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="linli-verify-") as tmp:
        scratch, drop = _scratch_database(settings, Path(tmp))
        try:
            result = restore_backup(settings, name, database_url=scratch, media_dir=str(Path(tmp) / "media"))
            found = checksums(scratch)
        finally:
            drop()
    expected = result.manifest["tables"]
    return VerifyResult(name=result.name, seconds=time.monotonic() - started, tables=len(expected),
                        rows=sum(t["rows"] for t in expected.values()), mismatches=compare(expected, found))


def _scratch_database(settings: Settings, folder: Path) -> tuple[str, Any]:
    """An empty database beside the source (same engine); returns its URL and how to drop it."""
    if engine_of(settings.database_url) == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'scratch.db'}", lambda: None
    import psycopg
    from sqlalchemy.engine import make_url

    source = make_url(settings.database_url)
    scratch_name = f"linli_verify_{uuid.uuid4().hex[:12]}"
    admin_dsn, env = libpq(source.set(database="postgres").render_as_string(hide_password=False))

    def admin(statement: str) -> None:
        with psycopg.connect(admin_dsn, password=env.get("PGPASSWORD"), autocommit=True) as connection:
            connection.execute(statement)

    admin(f'CREATE DATABASE "{scratch_name}"')
    return (source.set(database=scratch_name).render_as_string(hide_password=False),
            lambda: admin(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)'))
