"""Technicians in WeChat (staff bound via StaffUser.wechat_openid): 接单 BX-…, 出发 BX-…, 完工 BX-…,
工单照片 BX-… — the same service calls as the back-office buttons; a second technician accepting a taken order is
told so."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.my_repairs import extract_number_strict as extract_number
from bot.dialogs.my_repairs import parse_number
from bot.dialogs.parsers import store_photo
from bot.dialogs.spec import Dialog, Slot
from workflows.db import transaction
from workflows.repairs import by_number as repairs
from workflows.repairs.service import RepairPolicy
from workflows.repairs.states import ACTION_LABELS
from workflows.statemachine import Outcome


def _refusal(outcome: Outcome, number: str, label: str) -> str:
    """Why a technician's action was not done, in their words."""
    if outcome.refused == repairs.STAFF_ONLY:
        return t.STAFF_ONLY
    if outcome.refused == repairs.NOT_FOUND:
        return t.TICKET_NOT_FOUND.format(number=number)
    if outcome.refused == repairs.TAKEN:
        return t.STAFF_TAKEN.format(number=number)
    return t.STAFF_NOT_ALLOWED.format(number=number, status=outcome.status_label, action=label)


async def _staff_action(ctx: DialogContext, action: str) -> str:
    number = ctx.values["number"]
    label = ACTION_LABELS[action]
    async with transaction(ctx.runtime.sessions) as session:
        outcome = await repairs.staff_perform(session, openid=ctx.openid, number=number, action=action,
                                              policy=RepairPolicy.from_settings(ctx.runtime.settings))
    if not outcome.done:
        return _refusal(outcome, number, label)
    return t.STAFF_DONE.format(number=number, action=label)


async def accept_order(ctx: DialogContext) -> str:
    return await _staff_action(ctx, "accept")


async def start_order(ctx: DialogContext) -> str:
    return await _staff_action(ctx, "start")


async def complete_order(ctx: DialogContext) -> str:
    return await _staff_action(ctx, "complete")


async def add_order_photos(ctx: DialogContext) -> str:
    """A technician's photos (before/after) on the order's timeline, as from the back office."""
    number, photos = ctx.values["number"], list(ctx.values.get("photos") or [])
    async with transaction(ctx.runtime.sessions) as session:
        outcome = await repairs.staff_comment(session, openid=ctx.openid, number=number,
                                              body=ctx.values.get("note") or "", photos=photos)
    if not outcome.done:
        return _refusal(outcome, number, "")
    return t.STAFF_PHOTOS_ADDED.format(number=number, count=len(photos))


async def parse_note(text: str, ctx: DialogContext) -> str:
    return text.strip()[:500]


NUMBER = Slot("number", t.TICKET_NUMBER_ASK, parse=parse_number, label="单号", example="BX-20261125-0007")

ACCEPT_ORDER = Dialog(name="accept_order", title="接单", triggers=("接单",), slots=(NUMBER,), submit=accept_order,
                      extract=extract_number, description="维修师傅接单（工作人员用）", in_help=False)
START_ORDER = Dialog(name="start_order", title="出发", triggers=("出发",), slots=(NUMBER,), submit=start_order,
                     extract=extract_number, description="维修师傅出发上门（工作人员用）", in_help=False)
COMPLETE_ORDER = Dialog(name="complete_order", title="完工", triggers=("完工",), slots=(NUMBER,),
                        submit=complete_order, extract=extract_number, description="维修师傅完工（工作人员用）",
                        in_help=False)

ORDER_PHOTOS = Dialog(
    name="order_photos", title="工单照片", triggers=("工单照片", "上传照片"), submit=add_order_photos,
    extract=extract_number, description="维修师傅给工单加照片（工作人员用）", in_help=False,
    slots=(NUMBER, Slot("photos", t.STAFF_PHOTOS_ASK, parse=store_photo, repeatable=True, label="照片",
                        accepts=frozenset({"image", "text"})),
           Slot("note", t.STAFF_NOTE_ASK, parse=parse_note, optional=True, label="说明")))

STAFF_DIALOGS = (ACCEPT_ORDER, START_ORDER, COMPLETE_ORDER, ORDER_PHOTOS)
