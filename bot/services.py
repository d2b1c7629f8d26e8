"""What the bot's dialogs may call besides workflows services: the FAQ assistant and the media store.

Built once by the composition root (linli/app.py, linli/chat.py) and handed to every DialogContext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.messages import Inbound


class MediaUnavailable(Exception):
    """A photo or voice message could not be fetched (WeChat's media API failed, the file is gone)."""


class MediaStore(Protocol):
    async def store(self, inbound: Inbound) -> str:
        """Fetch the message's media (WeChat media API, or a local file in `linli chat`) and keep it under
        settings.media_dir; returns the stored path relative to media_dir, or raises MediaUnavailable."""
        ...


@dataclass
class BotServices:
    assistant: Any  # knowledge.assistant.Assistant (FAQ answers, intent routing)
    media: MediaStore
