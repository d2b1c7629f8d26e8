"""Media stores (bot.services.MediaStore): keeping the photos and voice messages owners send.

Files land in settings.media_dir/YYYYMMDD/<uuid>.<ext> (local date); dialogs keep the returned relative path.
- WeChatMediaStore downloads by media id through WeChat's media API (/cgi-bin/media/get);
- LocalFileMediaStore copies the file named in `linli chat` (Inbound.local_path);
- CompositeMediaStore picks one by Inbound.channel.
Any failure (API error, missing file, too large, not an image/voice) raises MediaUnavailable.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from bot.messages import Inbound
from bot.services import MediaStore, MediaUnavailable
from workflows.clock import local, utcnow
from workflows.settings import Settings

MAX_MEDIA_BYTES = 10 * 1024 * 1024  # WeChat's own limit for images is 10 MB (voice 2 MB)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "audio/amr": ".amr", "audio/speex": ".speex", "audio/mpeg": ".mp3", "voice/speex": ".speex",
              "video/mp4": ".mp4"}
LOCAL_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".amr", ".mp3", ".mp4"}


def _relative_path(extension: str) -> Path:
    return Path(local(utcnow()).strftime("%Y%m%d")) / f"{uuid.uuid4().hex}{extension}"


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


class WeChatMediaStore:
    def __init__(self, settings: Settings, api: object, *, max_bytes: int = MAX_MEDIA_BYTES) -> None:
        self.media_dir = Path(settings.media_dir)
        self.api = api  # bot.wechat.api.WeChatApi
        self.max_bytes = max_bytes

    async def store(self, inbound: Inbound) -> str:
        from bot.wechat.api import WeChatApiError

        if not inbound.media_id:
            raise MediaUnavailable("the message carries no media id")
        try:
            media = await self.api.get_media(inbound.media_id)  # type: ignore[attr-defined]
        except WeChatApiError as exc:
            raise MediaUnavailable(f"WeChat media {inbound.media_id}: {exc}") from exc
        extension = EXTENSIONS.get(media.content_type)
        if extension is None or not media.data or len(media.data) > self.max_bytes:
            raise MediaUnavailable(f"unexpected media {media.content_type!r} of {len(media.data)} bytes")
        relative = _relative_path(extension)
        try:
            await asyncio.to_thread(_write, self.media_dir / relative, media.data)
        except OSError as exc:
            raise MediaUnavailable(f"cannot write {relative}: {exc}") from exc
        return str(relative)


class LocalFileMediaStore:
    def __init__(self, settings: Settings, *, max_bytes: int = MAX_MEDIA_BYTES) -> None:
        self.media_dir = Path(settings.media_dir)
        self.max_bytes = max_bytes

    async def store(self, inbound: Inbound) -> str:
        source = Path(inbound.local_path or "")
        suffix = source.suffix.lower()
        if not inbound.local_path or suffix not in LOCAL_SUFFIXES:
            raise MediaUnavailable(f"not a photo or voice file: {source}")
        relative = _relative_path(".jpg" if suffix == ".jpeg" else suffix)
        try:
            await asyncio.to_thread(self._copy, source, self.media_dir / relative)
        except OSError as exc:
            raise MediaUnavailable(f"cannot store {source}: {exc}") from exc
        return str(relative)

    def _copy(self, source: Path, target: Path) -> None:
        size = source.stat().st_size
        if size > self.max_bytes or size == 0:
            raise OSError(f"{size} bytes")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


class CompositeMediaStore:
    """WeChat messages through the media API, `linli chat` messages from local files."""

    def __init__(self, settings: Settings, api: object | None = None) -> None:
        self.local = LocalFileMediaStore(settings)
        self.wechat: MediaStore | None = WeChatMediaStore(settings, api) if api is not None else None

    async def store(self, inbound: Inbound) -> str:
        if inbound.channel == "chat" or inbound.local_path:
            return await self.local.store(inbound)
        if self.wechat is None:
            raise MediaUnavailable("no WeChat API configured")
        return await self.wechat.store(inbound)
