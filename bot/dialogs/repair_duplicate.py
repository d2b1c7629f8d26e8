"""The open ticket a repair report would repeat: found once category and place are known, shown to the reporter
without its description, and the owner's answer to it ("跟进" / "仍然新建", or in words of their own)."""

from __future__ import annotations

import re
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.spec import Choice, Invalid
from bot.dialogs.words import match_choice, normalize
from workflows.repairs.intake import open_ticket_like


def community_id(ctx: DialogContext) -> int:
    """The community the report is for: the chosen household's, else the owner's default."""
    where = ctx.values.get("where") or {}
    return where.get("community_id") or ctx.owner.default_community_id


def no_open_ticket_like(ctx: DialogContext) -> bool:
    return not ctx.facts.get("duplicate")


async def open_ticket_facts(ctx: DialogContext) -> dict[str, Any] | None:
    """The open ticket this report would repeat (as the reporter may see it), read once category and place are known."""
    where = ctx.values.get("where") or {}
    async with ctx.runtime.sessions() as session:
        found = await open_ticket_like(
            session, community_id=community_id(ctx), category=ctx.values["category"],
            household_id=where.get("household_id"), public_area=bool(where.get("public")),
            place=where.get("text") or where.get("label", ""), latitude=where.get("lat"), longitude=where.get("lon"))
    return None if found is None else {"id": found.ticket_id, "number": found.number, "category": found.category,
                                       "place": found.place, "status": found.status, "mine": found.mine}


async def duplicate_prompt(ctx: DialogContext) -> str:
    dup = ctx.facts["duplicate"]
    return (t.REPAIR_DUPLICATE_MINE if dup.get("mine") else t.REPAIR_DUPLICATE).format(**dup)


async def duplicate_choices(ctx: DialogContext) -> list[Choice]:
    dup = ctx.facts["duplicate"]
    return [Choice({"add": dup["id"]}, t.REPAIR_DUPLICATE_ADD.format(number=dup["number"]),
                   ("补充", "追加", "跟进", "关注", "是", "好", "就是这个", "一样", "等着", "那我等着", "等吧",
                    "那就等")),
            Choice("new", t.REPAIR_DUPLICATE_NEW, ("新建", "仍然新建", "不是", "不一样"))]


# "不是一回事 … 还是单独报一个吧" files anew; "那算了 有人报了就行", "那我不重复报了" follow the open ticket.
_DUPLICATE_NEW = re.compile(r"单独(报|建|开|提)|(新|另|重新|再)(报|建|开|提)(一)?[个张单]?|不是一回事|不是一个(事|问题)"
                            r"|两码事|不是同一|不一样")
_DUPLICATE_FOLLOW = re.compile(r"有人报(了|过)|跟(着|进)?(那个|这个|那张|它)|(那|就)跟进|等(着|他们|师傅)"
                               r"|(那就|那我|就|我)等(吧|着|一等)?$|不(重复|再|用再|用)(报|提交|建)")


async def parse_duplicate(text: str, ctx: DialogContext) -> Any:
    """Past the shown choices' own words: what the owner says about the open ticket in words of their own."""
    word = normalize(text)
    if _DUPLICATE_NEW.search(word):
        return "new"
    if _DUPLICATE_FOLLOW.search(word):
        return {"add": ctx.facts["duplicate"]["id"]}
    choices = [[c.value, c.label, c.aliases] for c in await duplicate_choices(ctx)]
    found, value = match_choice(text, choices, loose=True)  # "跟进那个就行" → 跟进已有工单
    if not found:
        raise Invalid(texts.INVALID_CHOICE)
    return value
