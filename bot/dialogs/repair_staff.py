"""Technicians in WeChat (staff bound via StaffUser.wechat_openid): 接单 BX-…, 出发 BX-…, 完工 BX-…,
工单照片 BX-… — the same service calls as the back-office buttons; a second technician accepting a taken order is
told so."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.my_repairs import extract_number_strict as extract_number
from bot.dialogs.my_repairs import parse_number
from bot.dialogs.parsers import store_photo
from bot.dialogs.spec import Dialog, Slot
from workflows.access import Actor
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairTicket
from workflows.repairs.states import ACTION_LABELS
from workflows.staff.models import StaffUser
from workflows.staff.service import staff_for_openid
from workflows.statemachine import TransitionNotAllowed


async def _staff_and_ticket(session: AsyncSession, ctx: DialogContext,
                            number: str) -> tuple[StaffUser, RepairTicket] | str:
    """The active staff member bound to this openid and their community's ticket, or the reply explaining why not."""
    staff = await staff_for_openid(session, openid=ctx.openid)
    if staff is None:
        return t.STAFF_ONLY
    ticket = await session.scalar(select(RepairTicket).where(RepairTicket.number == number))
    if ticket is None or not Actor.of_staff(staff).serves(ticket.community_id):
        return t.TICKET_NOT_FOUND.format(number=number)
    return staff, ticket


async def _staff_action(ctx: DialogContext, action: str) -> str:
    number = ctx.values["number"]
    label = ACTION_LABELS[action]
    async with transaction(ctx.runtime.sessions) as session:
        found = await _staff_and_ticket(session, ctx, number)
        if isinstance(found, str):
            return found
        staff, ticket = found
        status = ticket.status_label
        try:
            await repairs.perform(session, ticket=ticket, action=action, actor=repairs.staff_actor(staff),
                                  policy=repairs.RepairPolicy.from_settings(ctx.runtime.settings))
        except repairs.TicketTaken:
            return t.STAFF_TAKEN.format(number=number)
        except TransitionNotAllowed:
            return t.STAFF_NOT_ALLOWED.format(number=number, status=status, action=label)
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
        found = await _staff_and_ticket(session, ctx, number)
        if isinstance(found, str):
            return found
        staff, ticket = found
        await repairs.comment(session, ticket=ticket, actor=repairs.staff_actor(staff),
                              body=ctx.values.get("note") or "", photos=photos)
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
