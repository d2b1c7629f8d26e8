"""我的报修 and the ticket commands an owner types in chat:
- 我的报修: the owner's latest tickets with status, technician and expected time;
- a ticket number (BX-20261125-0007 / TS-…) typed in chat shows that ticket (`show_ticket`, also callable by the
  router: `await show_ticket(ctx, number)` returns the text, or None when it is not the owner's);
- 评价 BX-… 5 [comment], 重修 BX-… (after the "done" notification), 满意 TS-… / 不满意 TS-… (after a reply)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.spec import Abort, Choice, Dialog, Invalid, Slot, examples_of
from workflows.access import Actor
from workflows.clock import show, utcnow
from workflows.complaints import service as complaints
from workflows.complaints.models import Complaint, ComplaintStatus
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairStatus, RepairTicket
from workflows.repairs.queries import NUMBER, find_number, owner_tickets
from workflows.staff.models import StaffUser
from workflows.staff.service import staff_for_openid
from workflows.statemachine import TransitionNotAllowed


def _expected(ticket: RepairTicket) -> str:
    if not ticket.is_open:
        return ""
    if ticket.preferred_from is not None:
        window = f"{show(ticket.preferred_from, fmt='%m月%d日 %H:%M')}–{show(ticket.preferred_to, fmt='%H:%M')}"
        return f"，约 {window}"
    return f"，预计 {show(ticket.resolve_by)} 前完成" if ticket.resolve_by else ""


async def list_my_repairs(ctx: DialogContext) -> str:
    async with ctx.runtime.sessions() as session:
        tickets = await owner_tickets(session, openid=ctx.openid, limit=5)
        if not tickets:
            return t.MY_REPAIRS_NONE
        lines = [t.MY_REPAIRS_HEADER]
        for ticket in tickets:
            technician = ticket.assignee.display_name if ticket.assignee else ""
            lines.append(t.MY_REPAIRS_LINE.format(number=ticket.number, category=ticket.category,
                                                  status=ticket.status_label,
                                                  technician=f"，{technician}" if technician else "",
                                                  expected=_expected(ticket)))
    lines.append(t.MY_REPAIRS_FOOTER)
    return "\n".join(lines)


async def _staff_member(session: Any, openid: str) -> StaffUser | None:
    return await staff_for_openid(session, openid=openid)


async def show_ticket(ctx: DialogContext, number: str) -> str | None:
    """The ticket's status for its owner (or a staff member of its community bound to this WeChat)."""
    async with ctx.runtime.sessions() as session:
        staff = await _staff_member(session, ctx.openid)
        model = RepairTicket if number.startswith("BX") else Complaint
        row = await session.scalar(select(model).where(model.number == number))
        if row is None or (row.openid != ctx.openid and (
                staff is None or not Actor.of_staff(staff).serves(row.community_id))):
            return None
        technician = await session.get(StaffUser, row.assignee_id) if row.assignee_id else None
    if isinstance(row, Complaint):
        reply = f"\n回复：{row.reply}" if row.reply else ""
        return t.COMPLAINT_DETAIL.format(number=row.number, category=row.category, status=row.status_label,
                                         description=row.description[:100], reply=reply)
    return t.TICKET_DETAIL.format(number=row.number, category=row.category, status=row.status_label,
                                  place=row.location_text or "—", description=row.description[:100],
                                  technician=technician.display_name if technician else "待安排",
                                  created=show(row.created_at), expected=_expected(row))


async def parse_number(text: str, ctx: DialogContext) -> str:
    number = find_number(text)
    if number is None:
        raise Invalid(t.TICKET_NUMBER_ASK)
    return number


async def extract_number(text: str, ctx: DialogContext) -> dict[str, Any]:
    number = find_number(text)
    return {"number": number} if number else {}


async def extract_number_strict(text: str, ctx: DialogContext) -> dict[str, Any]:
    """A command word followed by other words but no number ("满意度怎么样") was not meant as the command."""
    number = find_number(text)
    if number:
        return {"number": number}
    rest = re.sub(r"^(评价|打分|重修|没修好|重新报修|不满意|满意|接单|出发|完工|维修完成)", "",
                  unicodedata.normalize("NFKC", text).strip())
    if rest.strip(" ，,。.!！:："):
        raise Abort(t.COMMAND_NEEDS_NUMBER)
    return {}


async def lookup_ticket(ctx: DialogContext) -> str:
    number = ctx.values["number"]
    return await show_ticket(ctx, number) or t.TICKET_NOT_FOUND.format(number=number)


async def _own_repair(session: Any, ctx: DialogContext, number: str) -> RepairTicket:
    ticket = await session.scalar(select(RepairTicket).where(RepairTicket.number == number,
                                                            RepairTicket.openid == ctx.openid))
    if ticket is None:
        raise Abort(t.TICKET_NOT_FOUND.format(number=number))
    return ticket


async def parse_rateable(text: str, ctx: DialogContext) -> str:
    number = await parse_number(text, ctx)
    async with ctx.runtime.sessions() as session:
        ticket = await _own_repair(session, ctx, number)
    if ticket.status != RepairStatus.COMPLETED:
        raise Abort(t.RATE_NOT_YET.format(number=number, status=ticket.status_label))
    return number


async def extract_rating(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"评价 BX-20261125-0007 5 师傅很好" fills number, rating and comment at once."""
    folded = unicodedata.normalize("NFKC", text)
    number = find_number(folded)
    if number is None:
        return await extract_number_strict(text, ctx)
    found: dict[str, Any] = {"number": await parse_rateable(number, ctx)}
    rest = NUMBER.sub(" ", folded)
    rest = re.sub(r"^\s*(评价|打分)", "", rest)
    match = re.search(r"(?<!\d)([1-5])(?!\d)\s*分?\s*(.*)", rest)
    if match:
        found["rating"] = int(match.group(1))
        if match.group(2).strip():
            found["comment"] = match.group(2).strip()[:200]
    return found


async def rating_choices(ctx: DialogContext) -> list[Choice]:
    labels = ("1 分（很不满意）", "2 分", "3 分", "4 分", "5 分（非常满意）")
    return [Choice(n, label) for n, label in enumerate(labels, 1)]


async def parse_comment(text: str, ctx: DialogContext) -> str:
    return text.strip()[:200]


async def rate_repair(ctx: DialogContext) -> str:
    values = ctx.values
    async with transaction(ctx.runtime.sessions) as session:
        ticket = await _own_repair(session, ctx, values["number"])
        try:
            await repairs.rate(session, ticket=ticket, actor=repairs.owner_actor(ctx.openid),
                               rating=int(values["rating"]), comment=values.get("comment") or "")
        except TransitionNotAllowed:
            return t.RATE_NOT_YET.format(number=ticket.number, status=ticket.status_label)
    return t.RATE_THANKS.format(number=values["number"])


async def reopen_repair(ctx: DialogContext) -> str:
    number = ctx.values["number"]
    policy = repairs.RepairPolicy.from_settings(ctx.runtime.settings)
    async with transaction(ctx.runtime.sessions) as session:
        ticket = await _own_repair(session, ctx, number)
        if ticket.is_open:
            return t.REOPEN_NOT_DONE.format(number=number, status=ticket.status_label)
        if not repairs.may_reopen(ticket, policy):
            return t.REOPEN_TOO_LATE.format(number=number, days=policy.reopen_days)
        await repairs.reopen(session, ticket=ticket, actor=repairs.owner_actor(ctx.openid), reason="业主在微信中重修",
                             policy=policy)
    return t.REOPEN_DONE.format(number=number)


async def _answer_complaint(ctx: DialogContext, satisfied: bool) -> str:
    number = ctx.values["number"]
    async with transaction(ctx.runtime.sessions) as session:
        complaint = await session.scalar(select(Complaint).where(Complaint.number == number,
                                                                Complaint.openid == ctx.openid))
        if complaint is None:
            return t.TICKET_NOT_FOUND.format(number=number)
        if complaint.status != ComplaintStatus.REPLIED:
            return t.COMPLAINT_NOT_REPLIED.format(number=number, status=complaint.status_label)
        actor = repairs.owner_actor(ctx.openid)
        if satisfied:
            await complaints.confirm(session, complaint=complaint, actor=actor)
        else:
            await complaints.reject(session, complaint=complaint, actor=actor)
    return (t.COMPLAINT_CONFIRMED if satisfied else t.COMPLAINT_REJECTED).format(number=number)


async def complaint_satisfied(ctx: DialogContext) -> str:
    return await _answer_complaint(ctx, True)


async def complaint_unsatisfied(ctx: DialogContext) -> str:
    return await _answer_complaint(ctx, False)


NUMBER_SLOT = Slot("number", t.TICKET_NUMBER_ASK, parse=parse_number, label="单号", example="BX-20261125-0007")


async def waiting_complaints(ctx: DialogContext) -> list[str]:
    """The owner's complaints that have a reply and wait for 满意/不满意."""
    async with ctx.runtime.sessions() as session:
        return list(await session.scalars(select(Complaint.number).where(
            Complaint.openid == ctx.openid, Complaint.status == ComplaintStatus.REPLIED).order_by(Complaint.id)))


def one_waiting(ctx: DialogContext) -> bool:
    return len(ctx.facts.get("number") or []) == 1


async def the_waiting_one(ctx: DialogContext) -> str:
    return ctx.facts["number"][0]


async def complaint_number_prompt(ctx: DialogContext) -> str:
    waiting = ctx.facts.get("number") or []
    if waiting:
        return t.COMPLAINT_WHICH.format(numbers="、".join(waiting))
    return t.TICKET_NUMBER_ASK_FOR.format(example=f"TS-{show(utcnow(), fmt='%Y%m%d')}-0001")


# 满意/不满意 with exactly one complaint waiting applies to it; otherwise the owner is asked which one.
COMPLAINT_NUMBER_SLOT = Slot("number", complaint_number_prompt, parse=parse_number, label="单号",
                             facts=waiting_complaints, skip_if=one_waiting, default=the_waiting_one)

MY_REPAIRS = Dialog(
    name="my_repairs", title="我的报修", menu_key="MY_REPAIRS", triggers=("我的报修", "报修进度", "查报修", "我的工单"),
    description="我的报修：查看自己报修的进度、师傅和预计时间", slots=(), submit=list_my_repairs,
    examples=examples_of("my_repairs"), lookup=True, supersedes=("repair", "complaint"),
    keywords=r"我的(报修|工单|投诉|维修)|进度|(报|修).{0,6}(怎么还没|处理了没|到哪)|上门了没|什么时候上门|单号"
             r"|(报修|投诉|报的|修的|单子|报修单|的事).{0,12}(咋样了|怎么样了|如何了|排队"
             r"|处理(得|的)?(咋样|怎么样|好了|了没|了吗)|处理完了[吗没]|派了[吗没])"
             r"|(之前|以前|上次|前几天|昨天|前天)(提|报|投诉)的.{0,6}(报修|单子|工单|投诉|事)"
             r"|(报修|报|投诉)(的|了的|过的).{0,10}(了没|了吗|没有|没)[?？]?$"
             r"|查.{0,3}(报修|工单|投诉|维修)|(报修|维修|投诉)(记录|的事)")

TICKET_LOOKUP = Dialog(
    name="ticket_lookup", title="查询单号", triggers=("BX", "bx", "TS", "ts", "查询单号", "查单号"),
    description="查询单号：输入报修或投诉单号查看进度", slots=(NUMBER_SLOT,), submit=lookup_ticket,
    extract=extract_number)

RATE_REPAIR = Dialog(
    name="rate_repair", title="评价报修", triggers=("评价", "打分"), in_help=False,
    description="评价报修：修好后给师傅打分（1-5 分）",
    slots=(Slot("number", t.TICKET_NUMBER_ASK, parse=parse_rateable, label="单号", example="BX-20261125-0007"),
           Slot("rating", t.RATE_ASK, choices=rating_choices, label="评分", example="5"),
           Slot("comment", t.RATE_COMMENT, parse=parse_comment, optional=True, label="意见")),
    submit=rate_repair, extract=extract_rating)

REOPEN_REPAIR = Dialog(
    name="reopen_repair", title="重修", triggers=("重修", "没修好", "重新报修"), in_help=False,
    description="重修：修完还有问题，重新打开报修单", slots=(NUMBER_SLOT,), submit=reopen_repair,
    extract=extract_number_strict)

COMPLAINT_OK = Dialog(
    name="complaint_satisfied", title="投诉满意", triggers=("满意",), slots=(COMPLAINT_NUMBER_SLOT,),
    in_help=False,
    description="对投诉的回复满意", submit=complaint_satisfied, extract=extract_number_strict)

COMPLAINT_NOT_OK = Dialog(
    name="complaint_unsatisfied", title="投诉不满意", triggers=("不满意",), slots=(COMPLAINT_NUMBER_SLOT,),
    in_help=False,
    description="对投诉的回复不满意，升级给项目经理", submit=complaint_unsatisfied, extract=extract_number_strict)

TICKET_DIALOGS = (MY_REPAIRS, TICKET_LOOKUP, RATE_REPAIR, REOPEN_REPAIR, COMPLAINT_OK, COMPLAINT_NOT_OK)
