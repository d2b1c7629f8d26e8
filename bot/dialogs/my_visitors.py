"""我的访客: the owner's active visitor passes, numbered; a number then 1 to confirm revokes it (取消), after which
neither the QR code nor the backup code opens anything."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs import visitor_texts as t
from bot.dialogs.spec import Abort, Choice, Dialog, Slot
from workflows.access import Actor
from workflows.clock import show
from workflows.db import transaction
from workflows.visitors import service as visitors


def _label(row: visitors.PassView) -> str:
    when = f"{show(row.valid_from)}–{show(row.valid_until, fmt='%H:%M')}"
    return t.MY_VISITOR_ITEM.format(name=row.visitor_name, when=when, number=row.number, status=row.status_label)


async def pass_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        rows = await visitors.passes_of_owner(session, openid=ctx.openid)
    if not rows:
        raise Abort(t.MY_VISITORS_NONE)
    return [Choice(row.id, _label(row)) for row in rows]


async def list_prompt(ctx: DialogContext) -> str:
    return t.MY_VISITORS_PROMPT


async def confirm_cancel(ctx: DialogContext) -> str:
    async with ctx.runtime.sessions() as session:
        row = await visitors.own_pass(session, pass_id=ctx.values["visitor_pass"], openid=ctx.openid)
    if row is None:
        raise Abort(t.MY_VISITOR_GONE)
    return t.MY_VISITOR_CANCEL_CONFIRM.format(name=row.visitor_name, number=row.number)


async def cancel_pass(ctx: DialogContext) -> str:
    async with transaction(ctx.runtime.sessions) as session:
        row = await visitors.revoke_pass(session, pass_id=ctx.values["visitor_pass"], openid=ctx.openid,
                                         actor=Actor.owner(ctx.openid))
        if row is None:
            return t.MY_VISITOR_GONE
        return t.MY_VISITOR_CANCELLED.format(name=row.visitor_name, number=row.number)


MY_VISITORS = Dialog(
    name="my_visitors", title="我的访客", triggers=("我的访客", "取消访客", "访客记录"),
    description="我的访客：查看已登记的访客通行证，取消通行证",
    requires_binding=True,
    slots=(Slot("visitor_pass", list_prompt, choices=pass_choices, label="通行证", exit_on_mismatch=True),),
    confirm=confirm_cancel, submit=cancel_pass,
)
