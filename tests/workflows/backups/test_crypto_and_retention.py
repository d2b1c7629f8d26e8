"""The backup file's encryption (chunks cannot be read without the key, changed, reordered or cut off) and the
retention rule (7 daily, 4 weekly, 6 monthly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.backups import crypto
from workflows.backups.crypto import BackupKeyError, decrypt_file, encrypt_file, new_key
from workflows.backups.retention import backup_name, expired, taken_at, to_keep

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(crypto, "CHUNK", 1000)


@pytest.mark.parametrize("size", [0, 999, 1000, 1001, 5500])
def test_a_file_comes_back_byte_for_byte(tmp_path, small_chunks, size):
    plain, sealed, back = tmp_path / "plain", tmp_path / "sealed", tmp_path / "back"
    plain.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    key = new_key()
    encrypt_file(plain, sealed, key)
    assert plain.read_bytes()[:64] not in sealed.read_bytes() or size == 0
    decrypt_file(sealed, back, key)
    assert back.read_bytes() == plain.read_bytes()


def test_a_wrong_key_a_changed_byte_or_a_cut_file_is_refused(tmp_path, small_chunks):
    plain, sealed = tmp_path / "plain", tmp_path / "sealed"
    plain.write_bytes(b"owner data " * 500)
    key = new_key()
    encrypt_file(plain, sealed, key)
    with pytest.raises(BackupKeyError, match="wrong LINLI_BACKUP_KEY"):
        decrypt_file(sealed, tmp_path / "a", new_key())
    data = bytearray(sealed.read_bytes())
    data[100] ^= 1
    (tmp_path / "changed").write_bytes(bytes(data))
    with pytest.raises(BackupKeyError):
        decrypt_file(tmp_path / "changed", tmp_path / "b", key)
    first_chunk_end = 8 + 7 + 4 + 1000 + 16
    (tmp_path / "cut").write_bytes(sealed.read_bytes()[:first_chunk_end])  # a whole first chunk, nothing after
    with pytest.raises(BackupKeyError, match="cut short"):
        decrypt_file(tmp_path / "cut", tmp_path / "c", key)
    with pytest.raises(BackupKeyError, match="32 bytes"):
        encrypt_file(plain, tmp_path / "d", "c2hvcnQ=")


def test_names_carry_their_utc_time():
    at = datetime(2026, 12, 7, 19, 0, 5, tzinfo=UTC)
    assert backup_name(at) == "linli-20261207T190005Z.tar.gz.enc"
    assert taken_at(backup_name(at)) == at
    assert taken_at("notes.txt") is None


def test_retention_keeps_7_daily_4_weekly_6_monthly_and_never_touches_other_files():
    start = datetime(2026, 1, 1, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai
    names = [backup_name(start + timedelta(days=n)) for n in range(400)] + ["README.txt"]
    names += [backup_name(start + timedelta(days=399, hours=2))]  # a second backup on the last day, by hand
    keep = to_keep(names, daily=7, weekly=4, monthly=6, tz=SHANGHAI)
    newest = max(taken_at(n) for n in names if taken_at(n))
    kept = sorted(taken_at(n) for n in keep)
    assert backup_name(newest) in keep and len([k for k in kept if newest - k < timedelta(days=7)]) == 7
    assert len(keep) <= 7 + 4 + 6 and len(keep) >= 7 + 6 - 2  # weeks and months overlap the days
    assert min(kept) > newest - timedelta(days=6 * 31 + 1)
    gone = expired(names, daily=7, weekly=4, monthly=6, tz=SHANGHAI)
    assert "README.txt" not in gone and set(gone) | keep == set(names) - {"README.txt"}
