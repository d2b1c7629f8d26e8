"""The owner's answer to a walk-in visitor at the gate (「访客 X 到访 Y，是否同意？」): 1 同意 / 2 拒绝. Claimed by
the router only from an openid bound to the household the visitor came for, while the request is open; anyone else's
"1" is routed as usual. Approval opens the gate through devices (the guard is told either way); if the gate cannot
be opened remotely the owner is told so."""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.context import DialogContext
from bot.dialogs.parsers import always
from bot.dialogs.spec import Abort, Choice, Dialog, Slot
from devices.walk_ins import open_for_walk_in
from workflows.db import transaction
from workflows.visitors import walkins

YES, NO = ("1", "同意", "同意进入", "可以", "好"), ("2", "拒绝", "不同意", "不认识")
ASK = "访客 {name} 正在门口，是否同意进入？"
APPROVE, DENY = "同意", "拒绝"
GONE = "这次访客登记已经结束了（已处理或已超时），如有需要请联系门岗。"
DENIED = "已拒绝访客 {name}，门岗不会放行。"
OPENED = "已同意，门已为访客 {name} 打开。"
NO_GATE = "已同意，已通知门岗为访客 {name} 放行。"
NOT_OPENED = "已同意。但{why}，门无法远程打开，已通知保安为访客 {name} 人工放行。"
WHY = {"broker_down": "设备网关暂时连不上", "no_ack": "闸机没有回应"}


def _word(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().rstrip("。.!！")


async def claims(text: str, ctx: DialogContext) -> bool:
    if _word(text) not in YES + NO or not ctx.owner.is_bound:
        return False
    async with ctx.runtime.sessions() as session:
        return await walkins.pending_for_owner(session, openid=ctx.openid) is not None


async def pending_walk_in(ctx: DialogContext) -> int:
    async with ctx.runtime.sessions() as session:
        walk_in = await walkins.pending_for_owner(session, openid=ctx.openid)
    if walk_in is None:
        raise Abort(GONE)
    ctx.values["visitor_name"] = walk_in.visitor_name
    return walk_in.id


async def decision_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(True, APPROVE, YES[1:]), Choice(False, DENY, NO[1:])]


async def prompt(ctx: DialogContext) -> str:
    return ASK.format(name=ctx.values.get("visitor_name", ""))


async def extract(text: str, ctx: DialogContext) -> dict[str, Any]:
    word = _word(text)
    return {"decision": True} if word in YES else {"decision": False} if word in NO else {}


async def answer(ctx: DialogContext) -> str:
    async with transaction(ctx.runtime.sessions) as session:
        walk_in = await walkins.decide(session, walk_in_id=ctx.values["walk_in"], openid=ctx.openid,
                                       approve=bool(ctx.values["decision"]))
        if walk_in is None:
            return GONE
        name, walk_in_id = walk_in.visitor_name, walk_in.id
    if not ctx.values["decision"]:
        return DENIED.format(name=name)
    gateway = getattr(ctx.services, "device_gateway", None)
    result = await open_for_walk_in(ctx.runtime, walk_in_id=walk_in_id, wake=gateway.wake if gateway else None)
    if result == "opened":
        return OPENED.format(name=name)
    if result == "none":
        return NO_GATE.format(name=name)
    return NOT_OPENED.format(why=WHY.get(result, "闸机拒绝执行"), name=name)


VISIT_APPROVAL = Dialog(
    name="visit_approval", title="访客到访确认", in_help=False, claims=claims,
    slots=(Slot("walk_in", "", skip_if=always, default=pending_walk_in, accepts=frozenset()),
           Slot("decision", prompt, choices=decision_choices, label="答复")),
    extract=extract, submit=answer,
)
