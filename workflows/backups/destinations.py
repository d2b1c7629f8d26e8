"""Where backups are kept: a local or mounted folder (NAS, another disk), or an S3-compatible object store (AWS S3,
MinIO, 阿里云 OSS, 腾讯云 COS) through boto3. Both hold flat files named linli-<UTC time>.tar.gz.enc."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from workflows.settings import Settings


class Destination(Protocol):
    description: str

    def put(self, name: str, source: Path) -> None: ...
    def fetch(self, name: str, target: Path) -> None: ...
    def names(self) -> list[str]: ...
    def delete(self, name: str) -> None: ...


class FolderDestination:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = str(folder)

    def put(self, name: str, source: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.partial"
        shutil.copyfile(source, partial)
        os.replace(partial, self.folder / name)  # a reader never sees half a file

    def fetch(self, name: str, target: Path) -> None:
        shutil.copyfile(self.folder / name, target)

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))

    def delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)


class S3Destination:
    def __init__(self, bucket: str, prefix: str, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.description = f"s3://{bucket}/{self.prefix}"
        self.client = boto3.client(
            "s3", endpoint_url=settings.backup_s3_endpoint or None, region_name=settings.backup_s3_region or None,
            aws_access_key_id=settings.backup_s3_access_key or None,
            aws_secret_access_key=settings.backup_s3_secret_key or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60))

    def put(self, name: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self.prefix + name)  # multipart for large files

    def fetch(self, name: str, target: Path) -> None:
        self.client.download_file(self.bucket, self.prefix + name, str(target))

    def names(self) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            found.extend(item["Key"][len(self.prefix):] for item in page.get("Contents", []))
        return sorted(name for name in found if name and "/" not in name)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)


def open_destination(settings: Settings, url: str | None = None) -> Destination:
    """file:///var/backups/linli, a plain path, or s3://bucket/prefix (LINLI_BACKUP_S3_* for endpoint and keys)."""
    url = (url if url is not None else settings.backup_destination).strip()
    if not url:
        raise ValueError("no backup destination: set LINLI_BACKUP_DESTINATION (a folder or s3://bucket/prefix)")
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"{url}: an S3 destination needs a bucket, e.g. s3://linli-backups/prod")
        return S3Destination(parsed.netloc, parsed.path, settings)
    if parsed.scheme in ("", "file"):
        return FolderDestination(Path(parsed.path if parsed.scheme == "file" else url))
    raise ValueError(f"{url}: a backup destination is a folder or s3://bucket/prefix")
