"""Photos on work orders: saving a staff upload under settings.media_dir and serving stored ones (paths relative to
media_dir, never outside it). Shared by the repairs and complaints pages."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from fastapi import HTTPException, UploadFile
from fastapi.responses import FileResponse

from workflows.clock import local, utcnow

MAX_PHOTO_BYTES = 8 * 1024 * 1024
TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


def image_extension(data: bytes) -> str | None:
    """The extension the bytes themselves show (magic numbers), whatever the browser claimed; None: not an image."""
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


class PhotoRejected(ValueError):
    """Not an image, empty or too large; the message is shown beside the field."""


async def save_upload(media_dir: str, upload: UploadFile | None) -> str | None:
    """Store an uploaded photo; returns its path relative to media_dir, None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    extension = TYPES.get((upload.content_type or "").lower())
    if extension is None:
        raise PhotoRejected("只能上传 JPG、PNG、WEBP 或 GIF 图片")
    data = await upload.read(MAX_PHOTO_BYTES + 1)
    if not data:
        raise PhotoRejected("图片是空的")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected("图片太大了（最大 8 MB）")
    extension = image_extension(data)
    if extension is None:
        raise PhotoRejected("这个文件不是图片，只能上传 JPG、PNG、WEBP 或 GIF 图片")
    relative = Path("staff") / local(utcnow()).strftime("%Y%m%d") / f"{uuid.uuid4().hex}{extension}"
    target = Path(media_dir) / relative
    await asyncio.to_thread(_write, target, data)
    return relative.as_posix()


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def photo_response(media_dir: str, photos: list[str], index: int) -> FileResponse:
    """The index-th photo of a row the caller has already scoped; 404 for anything else."""
    if not 0 <= index < len(photos):
        raise HTTPException(status_code=404)
    root = Path(media_dir).resolve()
    path = (root / photos[index]).resolve()
    if root not in path.parents or not path.is_file():
        raise HTTPException(status_code=404, detail="照片文件不在了")
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})
