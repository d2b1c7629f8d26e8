"""The drill, on both engines: back up (database snapshot + media, encrypted) to a folder (SQLite) or to a local
S3-compatible server (PostgreSQL), verify (restore into a scratch database and compare every table's row count and
checksum), restore into an empty database and find the same rows and the owners' photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from workflows.backups.crypto import new_key
from workflows.backups.service import (
    compare,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from workflows.backups.snapshot import SnapshotError, checksums
from workflows.community.models import Household
from workflows.db import transaction
from workflows.runtime import Runtime


def _with_photo(settings) -> bytes:
    photo = Path(settings.media_dir) / "photos" / "2026" / "leak.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 a photo of a leak \xff\xd9")
    return photo.read_bytes()


async def _households(database_url: str, settings) -> int:
    runtime = Runtime.from_settings(settings.model_copy(update={"database_url": database_url}))
    try:
        async with runtime.sessions() as session:
            return await session.scalar(select(func.count()).select_from(Household))
    finally:
        await runtime.close()


async def _drill(settings, restore_url: str, tmp_path: Path) -> None:
    photo = _with_photo(settings)
    made = create_backup(settings)
    assert made.tables > 20 and made.rows > 100 and made.media_files == 1
    assert list_backups(settings) == [made.name]

    checked = verify_backup(settings)
    assert checked.ok and checked.name == made.name and checked.rows == made.rows

    runtime = Runtime.from_settings(settings)  # the source moves on after the snapshot: the backup does not
    async with transaction(runtime.sessions) as session:
        await session.execute(update(Household).values(area_m2=1))
    await runtime.close()

    restored = restore_backup(settings, database_url=restore_url, media_dir=str(tmp_path / "restored-media"))
    assert restored.name == made.name
    assert compare(restored.manifest["tables"], checksums(restore_url)) == []
    assert (tmp_path / "restored-media" / "photos" / "2026" / "leak.jpg").read_bytes() == photo
    assert await _households(restore_url, settings) == await _households(settings.database_url, settings)
    assert compare(restored.manifest["tables"], checksums(settings.database_url)) == [
        "households: same row count, different content"]
    with pytest.raises(SnapshotError, match="not empty|has \\d+ tables"):
        restore_backup(settings, database_url=restore_url)  # never over a database in use


async def test_sqlite_backup_to_a_folder_verifies_and_restores(settings, tmp_path):
    settings = settings.model_copy(update={"backup_destination": str(tmp_path / "nas" / "linli"),
                                           "backup_key": new_key()})
    await _drill(settings, f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'linli.db'}", tmp_path)


async def test_postgres_backup_to_s3_verifies_and_restores(pg_url, postgres_databases, s3_server, tmp_path):
    from tests.services import test_settings

    settings = test_settings(tmp_path, database_url=pg_url, backup_key=new_key(),
                             backup_destination=f"s3://{s3_server.new_bucket()}/prod/linli",
                             backup_s3_endpoint=s3_server.endpoint, backup_s3_region=s3_server.region,
                             backup_s3_access_key=s3_server.access_key, backup_s3_secret_key=s3_server.secret_key)
    await _drill(settings, postgres_databases.empty(), tmp_path)


async def test_a_backup_made_with_another_key_is_not_read(settings, tmp_path):
    settings = settings.model_copy(update={"backup_destination": str(tmp_path / "b"), "backup_key": new_key()})
    create_backup(settings)
    from workflows.backups.crypto import BackupKeyError

    with pytest.raises(BackupKeyError, match="wrong LINLI_BACKUP_KEY"):
        verify_backup(settings.model_copy(update={"backup_key": new_key()}))
