"""我的报修 and the ticket commands an owner types in chat:
- 我的报修: the owner's latest tickets with status, technician and expected time;
- a ticket number (BX-20261125-0007 / TS-…) typed in chat shows that ticket (`show_ticket`, also callable by the
  router: `await show_ticket(ctx, number)` returns the text, or None when it is not the owner's);
- 评价 BX-… 5 [comment], 重修 BX-… (after the "done" notification), 满意 TS-… / 不满意 TS-… (after a reply)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.spec import Abort, Choice, Dialog, Invalid, Slot, examples_of
from workflows.clock import show, utcnow
from workflows.complaints.by_number import ComplaintView, answer_reply, complaint_for, waiting_for_owner
from workflows.db import transaction
from workflows.repairs import by_number as repairs
from workflows.repairs.queries import NUMBER, find_number
from workflows.repairs.service import RepairPolicy


def _expected(ticket: repairs.TicketView) -> str:
    if not ticket.is_open:
        return ""
    if ticket.preferred_from is not None:
        window = f"{show(ticket.preferred_from, fmt='%m月%d日 %H:%M')}–{show(ticket.preferred_to, fmt='%H:%M')}"
        return f"，约 {window}"
    return f"，预计 {show(ticket.resolve_by)} 前完成" if ticket.resolve_by else ""


async def list_my_repairs(ctx: DialogContext) -> str:
    async with ctx.runtime.sessions() as session:
        tickets = await repairs.owner_ticket_views(session, openid=ctx.openid, limit=5)
    if not tickets:
        return t.MY_REPAIRS_NONE
    lines = [t.MY_REPAIRS_HEADER]
    for ticket in tickets:
        lines.append(t.MY_REPAIRS_LINE.format(number=ticket.number, category=ticket.category,
                                              status=ticket.status_label,
                                              technician=f"，{ticket.technician}" if ticket.technician else "",
                                              expected=_expected(ticket)))
    lines.append(t.MY_REPAIRS_FOOTER)
    return "\n".join(lines)


def _ticket_detail(ticket: repairs.TicketView) -> str:
    return t.TICKET_DETAIL.format(number=ticket.number, category=ticket.category, status=ticket.status_label,
                                  place=ticket.place or "—", description=ticket.description[:100],
                                  technician=ticket.technician or "待安排",
                                  created=show(ticket.created_at), expected=_expected(ticket))


def _complaint_detail(complaint: ComplaintView) -> str:
    reply = f"\n回复：{complaint.reply}" if complaint.reply else ""
    return t.COMPLAINT_DETAIL.format(number=complaint.number, category=complaint.category,
                                     status=complaint.status_label, description=complaint.description[:100],
                                     reply=reply)


async def show_ticket(ctx: DialogContext, number: str) -> str | None:
    """The ticket's status for its owner (or a staff member of its community bound to this WeChat)."""
    async with ctx.runtime.sessions() as session:
        if number.startswith("BX"):
            ticket = await repairs.ticket_for(session, number=number, openid=ctx.openid)
            return _ticket_detail(ticket) if ticket else None
        complaint = await complaint_for(session, number=number, openid=ctx.openid)
        return _complaint_detail(complaint) if complaint else None


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


async def parse_rateable(text: str, ctx: DialogContext) -> str:
    number = await parse_number(text, ctx)
    async with ctx.runtime.sessions() as session:
        outcome = await repairs.rateable(session, openid=ctx.openid, number=number)
    if outcome.refused == repairs.NOT_FOUND:
        raise Abort(t.TICKET_NOT_FOUND.format(number=number))
    if not outcome.done:
        raise Abort(t.RATE_NOT_YET.format(number=number, status=outcome.status_label))
    return number


async def extract_rating(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"评价 BX-20261125-0007 5 师傅很好" fills number, rating and comment at once."""
    folded = unicodedata.normalize("NFKC", text)
    number = find_number(folded)
    if number is None and texts.RATING_PHRASE.search(folded):
        return {}  # "师傅挺好 给个满意": which repair is asked
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
        outcome = await repairs.rate_own(session, openid=ctx.openid, number=values["number"],
                                         rating=int(values["rating"]), comment=values.get("comment") or "")
    if outcome.refused == repairs.NOT_FOUND:
        raise Abort(t.TICKET_NOT_FOUND.format(number=values["number"]))
    if not outcome.done:
        return t.RATE_NOT_YET.format(number=values["number"], status=outcome.status_label)
    return t.RATE_THANKS.format(number=values["number"])


async def reopen_repair(ctx: DialogContext) -> str:
    number = ctx.values["number"]
    policy = RepairPolicy.from_settings(ctx.runtime.settings)
    async with transaction(ctx.runtime.sessions) as session:
        outcome = await repairs.reopen_own(session, openid=ctx.openid, number=number, reason="业主在微信中重修",
                                           policy=policy)
    if outcome.refused == repairs.NOT_FOUND:
        raise Abort(t.TICKET_NOT_FOUND.format(number=number))
    if outcome.refused == repairs.NOT_YET:
        return t.REOPEN_NOT_DONE.format(number=number, status=outcome.status_label)
    if outcome.refused == repairs.TOO_LATE:
        return t.REOPEN_TOO_LATE.format(number=number, days=policy.reopen_days)
    return t.REOPEN_DONE.format(number=number)


async def _answer_complaint(ctx: DialogContext, satisfied: bool) -> str:
    number = ctx.values["number"]
    async with transaction(ctx.runtime.sessions) as session:
        outcome = await answer_reply(session, openid=ctx.openid, number=number, satisfied=satisfied)
    if outcome.refused == repairs.NOT_FOUND:
        return t.TICKET_NOT_FOUND.format(number=number)
    if not outcome.done:
        return t.COMPLAINT_NOT_REPLIED.format(number=number, status=outcome.status_label)
    return (t.COMPLAINT_CONFIRMED if satisfied else t.COMPLAINT_REJECTED).format(number=number)


async def complaint_satisfied(ctx: DialogContext) -> str:
    return await _answer_complaint(ctx, True)


async def complaint_unsatisfied(ctx: DialogContext) -> str:
    return await _answer_complaint(ctx, False)


NUMBER_SLOT = Slot("number", t.TICKET_NUMBER_ASK, parse=parse_number, label="单号", example="BX-20261125-0007")


async def waiting_complaints(ctx: DialogContext) -> list[str]:
    """The owner's complaints that have a reply and wait for 满意/不满意."""
    async with ctx.runtime.sessions() as session:
        return await waiting_for_owner(session, openid=ctx.openid)


def one_waiting(ctx: DialogContext) -> bool:
    return len(ctx.facts.get("number") or []) == 1


async def the_waiting_one(ctx: DialogContext) -> str:
    return ctx.facts["number"][0]


async def complaint_number_prompt(ctx: DialogContext) -> str:
    waiting = ctx.facts.get("number") or []
    if waiting:
        return t.COMPLAINT_WHICH.format(numbers="、".join(waiting))
    return t.TICKET_NUMBER_ASK_FOR.format(example=f"TS-{show(utcnow(), fmt='%Y%m%d')}-0001")


# 满意/不满意 with exactly one complaint waiting applies to it; otherwise the owner is asked which one, and anything
# but a number ("谢谢师傅们") leaves the question and is routed afresh.
COMPLAINT_NUMBER_SLOT = Slot("number", complaint_number_prompt, parse=parse_number, label="单号",
                             facts=waiting_complaints, skip_if=one_waiting, default=the_waiting_one,
                             exit_on_mismatch=True)

MY_REPAIRS = Dialog(
    name="my_repairs", title="我的报修", menu_key="MY_REPAIRS", triggers=("我的报修", "报修进度", "查报修", "我的工单"),
    description="我的报修：查看自己报修的进度、师傅和预计时间", slots=(), submit=list_my_repairs,
    examples=examples_of("my_repairs"), lookup=True, supersedes=("repair", "complaint"),
    keywords=r"我的(报修|工单|投诉|维修)|进度|(报|修).{0,6}(怎么还没|处理了没|到哪)|上门了没|什么时候上门|单号"
             r"|(报|修).{0,8}(啥时候|什么时候|几时)(能)?(来|到|上门)"
             r"|(报修|投诉|报的|修的|单子|报修单|的事).{0,12}(咋样了|怎么样了|如何了|排队"
             r"|处理(得|的)?(咋样|怎么样|好了|了没|了吗)|处理完了[吗没]|派了[吗没])"
             r"|(之前|以前|上次|前几天|昨天|前天)(提|报|投诉)的.{0,6}(报修|单子|工单|投诉|事)"
             r"|(之前|以前|上次|前几天|昨天|前天)(报修|投诉)的.{0,10}(好了?没|了没|了吗|怎么样|咋样)"
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
