"""Parsers several dialogs share: a description, a photo, a phone number, a visit time. Each returns a value or
raises Invalid with what is expected; none of them touches ctx.values (the engine stores what they return)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot import directory
from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.spec import Choice, Invalid
from bot.dialogs.when import PastWindow, only_a_time, parse_window
from bot.dialogs.words import is_emoji_only
from bot.services import MediaUnavailable
from knowledge.small_talk import small_talk_reply
from knowledge.text import MOBILE
from workflows.text import comparable

DESCRIPTION_LIMIT = 500
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MOBILE_IN_TEXT = MOBILE  # "他电话13912345678": a mobile number inside a sentence


def clean(text: str) -> str:
    """What the owner typed, trimmed; full-width punctuation is kept (normalise only for matching)."""
    return (text or "").strip()


def folded(text: str) -> str:
    """For matching only: half-width, no spaces."""
    return "".join(comparable(text or "").split())


# "我要报修" said again at the description step: the owner repeats what they came for; the problem is still unsaid.
_ONLY_ASKS_TO_REPORT = re.compile(r"(我|我们)?(要|想|想要|来)?(报修|报个修|报一下修|维修|修一下|投诉|投个诉)(一下)?"
                                  r"[吧啊呀的。！!]*")


async def parse_description(text: str, ctx: DialogContext) -> str:
    """What happened, in the owner's words; "好" or "谢谢" is no description."""
    description = clean(text)
    if (not description or is_emoji_only(description) or len(folded(description)) < 2
            or small_talk_reply(description) is not None or _ONLY_ASKS_TO_REPORT.fullmatch(folded(description))):
        raise Invalid(t.REPAIR_DESCRIPTION_EMPTY)
    if only_a_time(description):  # "明天上午" answers a later step; the problem is still unsaid
        raise Invalid(t.REPAIR_DESCRIPTION_NOT_A_TIME)
    return description[:DESCRIPTION_LIMIT]


async def store_photo(text: str, ctx: DialogContext) -> str:
    """An image message is fetched and kept (bot/media.py); a failed download is told, and the dialog goes on."""
    if ctx.inbound.msg_type != "image":
        raise Invalid(t.REPAIR_PHOTO_EXPECTED)
    media = getattr(ctx.services, "media", None)
    try:
        if media is None:
            raise MediaUnavailable("no media store")
        return await media.store(ctx.inbound)
    except MediaUnavailable as exc:
        raise Invalid(t.REPAIR_PHOTO_FAILED) from exc


async def parse_when(text: str, ctx: DialogContext) -> dict[str, Any]:
    try:
        return parse_window(text, tz=ctx.runtime.settings.tz).to_json(clean(text))
    except PastWindow as exc:
        raise Invalid(t.REPAIR_WHEN_PAST) from exc
    except ValueError as exc:
        raise Invalid(t.REPAIR_WHEN_INVALID) from exc


async def parse_phone(text: str, ctx: DialogContext) -> str:
    phone = re.sub(r"[\s\-－()]", "", unicodedata.normalize("NFKC", text or ""))
    if not PHONE.match(phone):
        raise Invalid(t.REPAIR_PHONE_INVALID)
    return phone


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone


def always(ctx: DialogContext) -> bool:
    """skip_if for a slot that is never asked (filled by its default)."""
    return True


async def account_communities(ctx: DialogContext) -> list[Choice]:
    """The account's communities as numbered choices (binding; an FAQ question before binding)."""
    return [Choice(c.id, c.name, (c.code,)) for c in await directory.communities(ctx.runtime)]
