"""What the repairs service tells people as a ticket moves: the reporting owner and the neighbours following the
ticket (through the one 48-hour rule of workflows.outbox.notify), and the technician a ticket is assigned to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.community.models import Community
from workflows.outbox.notify import tell_owner, tell_staff
from workflows.repairs import messages as text
from workflows.repairs.duplicates import followers
from workflows.repairs.models import Priority, RepairTicket, Reporter
from workflows.staff.models import StaffUser

FOLLOWER_EVENTS = ("accepted", "on_the_way", "waiting_parts", "resumed", "completed")


async def tell_reporter(session: AsyncSession, ticket: RepairTicket, message: str, event: str,
                        now: datetime | None) -> None:
    """The reporting owner (not a sensor), and for the steps that matter the neighbours who added to the ticket."""
    if ticket.reporter == Reporter.OWNER:  # a sensor's ticket has no owner to tell (its openid names the device)
        await tell_owner(session, openid=ticket.openid, community_id=ticket.community_id, text=message,
                         ref=ticket.number, event=event, now=now,
                         dedup=f"repair:{ticket.id}:{event}:{ticket.version}")
    if event not in FOLLOWER_EVENTS:
        return
    follower_text = text.FOLLOWER_COMPLETED.format(number=ticket.number) if event == "completed" else message
    for openid in await followers(session, ticket=ticket):
        await tell_owner(session, openid=openid, community_id=ticket.community_id, text=follower_text,
                         ref=ticket.number, event=event, now=now,
                         dedup=f"repair:{ticket.id}:{event}:{ticket.version}:{openid}")


async def staff_by_id(session: AsyncSession, staff_id: int | None) -> StaffUser | None:
    return None if staff_id is None else await session.get(StaffUser, staff_id)


def technician_name(staff: StaffUser | None) -> str:
    return staff.display_name if staff is not None else "维修师傅"


async def community_phone(session: AsyncSession, ticket: RepairTicket) -> str:
    """The community's phone, said instead of a technician's that is not on file (never the label 物业服务电话)."""
    community = await session.get(Community, ticket.community_id)
    return community.phone if community and community.phone else text.FRONT_DESK


async def tell_technician(session: AsyncSession, ticket: RepairTicket, technician: StaffUser) -> None:
    message = text.TECH_NEW_ORDER.format(
        number=ticket.number, category=ticket.category, location=ticket.location_text or "未说明地点",
        urgent="，紧急" if ticket.priority == Priority.URGENT else "", description=ticket.description[:80])
    await tell_staff(session, staff=technician, community_id=ticket.community_id, text=message, ref=ticket.number,
                     dedup=f"repair:{ticket.id}:assigned:{technician.id}:{ticket.version}")
