"""我的房屋: the households bound to this WeChat, numbered; a number (or "解绑 2") then 1 to confirm unbinds it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.dialogs.spec import Abort, Choice, Dialog, Slot, examples_of
from bot.owner import invalidate_profile
from workflows.bindings.service import list_bindings, unbind
from workflows.db import transaction


async def household_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        views = await list_bindings(session, openid=ctx.openid)
    if not views:
        raise Abort(texts.MY_HOUSEHOLDS_NONE)
    return [Choice(v.binding_id, f"{v.full_label}（{v.resident_name}）") for v in views]


async def list_prompt(ctx: DialogContext) -> str:
    return texts.MY_HOUSEHOLDS_PROMPT


async def extract_unbind(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"解绑 2" picks the second household at once."""
    match = re.fullmatch(r"解绑\s*([0-9]+)", unicodedata.normalize("NFKC", text).strip())
    if not match:
        return {}
    choices = await household_choices(ctx)
    number = int(match.group(1))
    return {"binding": choices[number - 1].value} if 1 <= number <= len(choices) else {}


async def confirm_unbind(ctx: DialogContext) -> str:
    async with ctx.runtime.sessions() as session:
        views = {v.binding_id: v for v in await list_bindings(session, openid=ctx.openid)}
    view = views.get(ctx.values["binding"])
    if view is None:
        raise Abort(texts.UNBIND_GONE)
    return texts.UNBIND_CONFIRM.format(label=view.full_label)


async def unbind_household(ctx: DialogContext) -> str:
    async with transaction(ctx.runtime.sessions) as session:
        view = await unbind(session, openid=ctx.openid, binding_id=ctx.values["binding"])
    if view is None:
        return texts.UNBIND_GONE
    await invalidate_profile(ctx.runtime, ctx.openid)
    return texts.UNBIND_OK.format(label=view.full_label)


MY_HOUSEHOLDS = Dialog(
    name="my_households", title="我的房屋", menu_key="MY_HOUSEHOLDS",
    triggers=("我的房屋", "我的房子", "解绑", "解绑房屋"),
    description="我的房屋：查看已绑定的房屋，解绑房屋",
    examples=examples_of("my_households"), lookup=True, supersedes=("bind",),
    keywords=r"(?<!认证)(?<!绑定)我的(房屋|房子)|解绑|解除.{0,4}绑定|名下|查.{0,3}绑定|绑定的|绑了哪"
             r"|绑定?了(几|多少)|绑错|(取消|删除|删掉|去掉).{0,4}绑定",
    slots=(Slot("binding", list_prompt, choices=household_choices, label="房屋", exit_on_mismatch=True),),
    extract=extract_unbind, confirm=confirm_unbind, submit=unbind_household,
)
