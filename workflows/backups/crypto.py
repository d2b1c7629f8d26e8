"""Encrypting a backup file as a stream: AES-256-GCM (the `cryptography` package) over 4 MiB chunks.

Format: MAGIC, a 7-byte random nonce prefix, then chunks of [4-byte big-endian length][ciphertext+tag]. Chunk i's nonce
is prefix + i (4 bytes) + 1 if it is the last chunk else 0, so chunks cannot be reordered, dropped or cut off at the
end without decryption failing (the STREAM construction). The key is 32 bytes, urlsafe-base64 in Settings.
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"LINLIBK1"
CHUNK = 4 * 1024 * 1024


class BackupKeyError(ValueError):
    """The key is missing or malformed, or the file was not encrypted with it (or was changed)."""


def new_key() -> str:
    """A fresh key for LINLI_BACKUP_KEY."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _aead(key: str) -> AESGCM:
    try:
        raw = base64.urlsafe_b64decode(key.strip().encode())
    except ValueError as exc:
        raise BackupKeyError("LINLI_BACKUP_KEY is not urlsafe base64 (make one: linli backup keygen)") from exc
    if len(raw) != 32:
        raise BackupKeyError("LINLI_BACKUP_KEY must be 32 bytes in urlsafe base64 (make one: linli backup keygen)")
    return AESGCM(raw)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def encrypt_file(source: Path, target: Path, key: str) -> None:
    aead = _aead(key)
    prefix = os.urandom(7)
    with source.open("rb") as plain, target.open("wb") as out:
        out.write(MAGIC + prefix)
        index, chunk = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            sealed = aead.encrypt(_nonce(prefix, index, last), chunk, MAGIC)
            out.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                return
            index, chunk = index + 1, following


def decrypt_file(source: Path, target: Path, key: str) -> None:
    aead = _aead(key)
    with source.open("rb") as sealed_file, target.open("wb") as out:
        head = sealed_file.read(len(MAGIC) + 7)
        if len(head) != len(MAGIC) + 7 or not head.startswith(MAGIC):
            raise BackupKeyError(f"{source.name} is not a Linli backup")
        prefix, index = head[len(MAGIC):], 0
        while True:
            size = sealed_file.read(4)
            if len(size) != 4:
                raise BackupKeyError(f"{source.name} is cut short")
            sealed = sealed_file.read(struct.unpack(">I", size)[0])
            for last in (False, True):
                try:
                    out.write(aead.decrypt(_nonce(prefix, index, last), sealed, MAGIC))
                    break
                except InvalidTag:
                    continue
            else:
                raise BackupKeyError(f"{source.name}: wrong LINLI_BACKUP_KEY, or the file was changed")
            if last:
                if sealed_file.read(1):
                    raise BackupKeyError(f"{source.name} has data after its last chunk")
                return
            index += 1
