"""Repair tickets as people in chat name them, by number (BX-20261125-0007): what the owner (or a staff member of
the ticket's community) may see, and the owner's and the technician's actions. Takes plain values and returns small
views and outcomes (workflows.statemachine.Outcome), so the bot never holds an ORM row. Complaints by number live in
workflows.complaints.by_number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairStatus, RepairTicket
from workflows.repairs.queries import owner_tickets, ticket_by_number
from workflows.staff.models import StaffUser
from workflows.staff.service import staff_for_openid
from workflows.statemachine import Outcome, TransitionNotAllowed

NOT_FOUND, NOT_YET, TOO_LATE = "not_found", "not_yet", "too_late"
STAFF_ONLY, TAKEN, NOT_ALLOWED = "staff_only", "taken", "not_allowed"


@dataclass(frozen=True)
class TicketView:
    """A ticket as its owner sees it in chat."""

    number: str
    category: str
    status_label: str
    place: str
    description: str
    technician: str  # "" when nobody is assigned yet
    created_at: datetime
    is_open: bool
    preferred_from: datetime | None
    preferred_to: datetime | None
    resolve_by: datetime | None


def _view(ticket: RepairTicket, technician: StaffUser | None) -> TicketView:
    return TicketView(number=ticket.number, category=ticket.category, status_label=ticket.status_label,
                      place=ticket.location_text, description=ticket.description,
                      technician=technician.display_name if technician else "", created_at=ticket.created_at,
                      is_open=ticket.is_open, preferred_from=ticket.preferred_from, preferred_to=ticket.preferred_to,
                      resolve_by=ticket.resolve_by)


async def owner_ticket_views(session: AsyncSession, *, openid: str, limit: int = 5) -> list[TicketView]:
    """The owner's latest tickets, open ones first."""
    return [_view(ticket, ticket.assignee) for ticket in await owner_tickets(session, openid=openid, limit=limit)]


async def serves(session: AsyncSession, *, openid: str, community_id: int) -> bool:
    """The active staff member bound to this WeChat serves the community."""
    staff = await staff_for_openid(session, openid=openid)
    return staff is not None and Actor.of_staff(staff).serves(community_id)


async def ticket_for(session: AsyncSession, *, number: str, openid: str) -> TicketView | None:
    """The ticket for its owner, or for a staff member of its community bound to this WeChat; else None."""
    ticket = await ticket_by_number(session, number=number)
    if ticket is None or (ticket.openid != openid and not await serves(session, openid=openid,
                                                                       community_id=ticket.community_id)):
        return None
    technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    return _view(ticket, technician)


async def rateable(session: AsyncSession, *, openid: str, number: str) -> Outcome:
    """The owner's ticket is completed and waits for a rating."""
    ticket = await ticket_by_number(session, number=number, openid=openid)
    if ticket is None:
        return Outcome(NOT_FOUND)
    return Outcome("" if ticket.status == RepairStatus.COMPLETED else NOT_YET, ticket.status_label)


async def rate_own(session: AsyncSession, *, openid: str, number: str, rating: int, comment: str = "") -> Outcome:
    """评价: the owner rates their completed ticket."""
    ticket = await ticket_by_number(session, number=number, openid=openid)
    if ticket is None:
        return Outcome(NOT_FOUND)
    status = ticket.status_label
    try:
        await repairs.rate(session, ticket=ticket, actor=repairs.owner_actor(openid), rating=rating, comment=comment)
    except TransitionNotAllowed:
        return Outcome(NOT_YET, status)
    return Outcome(status_label=status)


async def reopen_own(session: AsyncSession, *, openid: str, number: str, reason: str,
                     policy: repairs.RepairPolicy) -> Outcome:
    """重修: the owner reopens their finished ticket within the policy's days."""
    ticket = await ticket_by_number(session, number=number, openid=openid)
    if ticket is None:
        return Outcome(NOT_FOUND)
    status = ticket.status_label
    if ticket.is_open:
        return Outcome(NOT_YET, status)
    if not repairs.may_reopen(ticket, policy):
        return Outcome(TOO_LATE, status)
    await repairs.reopen(session, ticket=ticket, actor=repairs.owner_actor(openid), reason=reason, policy=policy)
    return Outcome(status_label=status)


async def _staff_and_ticket(session: AsyncSession, openid: str,
                            number: str) -> tuple[StaffUser, RepairTicket] | Outcome:
    staff = await staff_for_openid(session, openid=openid)
    if staff is None:
        return Outcome(STAFF_ONLY)
    ticket = await ticket_by_number(session, number=number)
    if ticket is None or not Actor.of_staff(staff).serves(ticket.community_id):
        return Outcome(NOT_FOUND)
    return staff, ticket


async def staff_perform(session: AsyncSession, *, openid: str, number: str, action: str,
                        policy: repairs.RepairPolicy) -> Outcome:
    """接单 / 出发 / 完工 by the staff member bound to this WeChat, as the back-office buttons do."""
    found = await _staff_and_ticket(session, openid, number)
    if isinstance(found, Outcome):
        return found
    staff, ticket = found
    status = ticket.status_label
    try:
        await repairs.perform(session, ticket=ticket, action=action, actor=repairs.staff_actor(staff), policy=policy)
    except repairs.TicketTaken:
        return Outcome(TAKEN, status)
    except TransitionNotAllowed:
        return Outcome(NOT_ALLOWED, status)
    return Outcome(status_label=status)


async def staff_comment(session: AsyncSession, *, openid: str, number: str, body: str,
                        photos: list[str]) -> Outcome:
    """A technician's note and photos on the ticket's timeline."""
    found = await _staff_and_ticket(session, openid, number)
    if isinstance(found, Outcome):
        return found
    staff, ticket = found
    await repairs.comment(session, ticket=ticket, actor=repairs.staff_actor(staff), body=body, photos=photos)
    return Outcome(status_label=ticket.status_label)
