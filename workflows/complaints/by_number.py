"""Complaints as people in chat name them, by number (TS-20261125-0003): what the owner (or a staff member of the
complaint's community) may see, the ones waiting for the owner's 满意/不满意, and that answer. Plain values in, small
views and outcomes (workflows.statemachine.Outcome) out: the bot holds no ORM row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.complaints import service as complaints
from workflows.complaints.models import Complaint, ComplaintStatus
from workflows.repairs.by_number import NOT_FOUND, NOT_YET, serves
from workflows.statemachine import Outcome


@dataclass(frozen=True)
class ComplaintView:
    """A complaint as its owner sees it in chat."""

    number: str
    category: str
    status_label: str
    description: str
    reply: str  # staff's reply, "" until there is one


async def complaint_for(session: AsyncSession, *, number: str, openid: str) -> ComplaintView | None:
    """The complaint for its owner, or for a staff member of its community bound to this WeChat; else None."""
    complaint = await session.scalar(select(Complaint).where(Complaint.number == number))
    if complaint is None or (complaint.openid != openid and not await serves(session, openid=openid,
                                                                             community_id=complaint.community_id)):
        return None
    return ComplaintView(number=complaint.number, category=complaint.category, status_label=complaint.status_label,
                         description=complaint.description, reply=complaint.reply or "")


async def waiting_for_owner(session: AsyncSession, *, openid: str) -> list[str]:
    """The numbers of the owner's complaints that have a reply and wait for 满意/不满意, oldest first."""
    return list(await session.scalars(select(Complaint.number).where(
        Complaint.openid == openid, Complaint.status == ComplaintStatus.REPLIED).order_by(Complaint.id)))


async def answer_reply(session: AsyncSession, *, openid: str, number: str, satisfied: bool) -> Outcome:
    """满意 closes the owner's replied complaint; 不满意 escalates it to the project manager."""
    complaint = await session.scalar(select(Complaint).where(Complaint.number == number, Complaint.openid == openid))
    if complaint is None:
        return Outcome(NOT_FOUND)
    status = complaint.status_label
    if complaint.status != ComplaintStatus.REPLIED:
        return Outcome(NOT_YET, status)
    actor = Actor.owner(openid)
    if satisfied:
        await complaints.confirm(session, complaint=complaint, actor=actor)
    else:
        await complaints.reject(session, complaint=complaint, actor=actor)
    return Outcome(status_label=status)
