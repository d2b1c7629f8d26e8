"""Read-only questions about repair tickets, for the bot (我的报修, a number typed in chat) and the back office."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.models import AuditEvent
from workflows.clock import utcnow
from workflows.repairs.models import OPEN_STATUSES, RepairNote, RepairStatus, RepairTicket

NUMBER = re.compile(r"(?<![A-Za-z0-9])(BX|TS)\s*[-—_]?\s*(\d{8})\s*[-—_]?\s*(\d{4})(?!\d)", re.IGNORECASE)


def find_number(message: str) -> str | None:
    """A ticket number in free text, normalised: "bx202611250007" → "BX-20261125-0007"."""
    match = NUMBER.search(unicodedata.normalize("NFKC", message))
    if match is None:
        return None
    prefix, day, seq = match.groups()
    return f"{prefix.upper()}-{day}-{seq}"


async def ticket_by_number(session: AsyncSession, *, number: str, openid: str | None = None,
                           community_ids: set[int] | None = None) -> RepairTicket | None:
    """A ticket by its number, limited to one owner's tickets or to some communities when given."""
    query = select(RepairTicket).where(RepairTicket.number == number)
    if openid is not None:
        query = query.where(RepairTicket.openid == openid)
    if community_ids is not None:
        query = query.where(RepairTicket.community_id.in_(community_ids))
    return await session.scalar(query)


async def owner_tickets(session: AsyncSession, *, openid: str, limit: int = 5) -> list[RepairTicket]:
    """The owner's latest tickets, open ones first."""
    rows = await session.scalars(select(RepairTicket).where(RepairTicket.openid == openid)
                                 .order_by(RepairTicket.id.desc()).limit(limit * 4))
    tickets = list(rows)
    tickets.sort(key=lambda t: (not t.is_open, -t.id))
    return tickets[:limit]


@dataclass(frozen=True)
class RepairFilter:
    status: str = ""
    category: str = ""
    building_id: int | None = None
    sla: str = ""  # "" | breached | at_risk | ok
    assignee_id: int | None = None
    q: str = ""


def sla_state(ticket: RepairTicket, now: datetime | None = None) -> str:
    """breached (a target passed), at_risk (within 30 min of one), ok, or done."""
    if ticket.status not in OPEN_STATUSES:
        return "breached" if ticket.resolve_breached_at or ticket.respond_breached_at else "done"
    now = now or utcnow()
    if ticket.respond_breached_at or ticket.resolve_breached_at:
        return "breached"
    targets = [ticket.resolve_by]
    if ticket.first_response_at is None:
        targets.append(ticket.respond_by)
    for target in filter(None, targets):
        if target <= now:
            return "breached"
        if (target - now).total_seconds() < 1800:
            return "at_risk"
    return "ok"


def filtered(query: Select, filters: RepairFilter) -> Select:
    if filters.status == "open":
        query = query.where(RepairTicket.status.in_(OPEN_STATUSES))
    elif filters.status:
        query = query.where(RepairTicket.status == RepairStatus(filters.status))
    if filters.category:
        query = query.where(RepairTicket.category == filters.category)
    if filters.building_id:
        query = query.where(RepairTicket.building_id == filters.building_id)
    if filters.assignee_id:
        query = query.where(RepairTicket.assignee_id == filters.assignee_id)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(or_(RepairTicket.number.ilike(like), RepairTicket.description.ilike(like),
                                RepairTicket.location_text.ilike(like)))
    return query


async def list_tickets(session: AsyncSession, *, community_ids: set[int] | None, filters: RepairFilter,
                       limit: int = 200) -> list[RepairTicket]:
    """Tickets of the given communities (None: all), newest first, SLA state filtered in Python."""
    query = select(RepairTicket).order_by(RepairTicket.id.desc()).limit(limit)
    if community_ids is not None:
        query = query.where(RepairTicket.community_id.in_(community_ids))
    tickets = list(await session.scalars(filtered(query, filters)))
    if filters.sla:
        now = utcnow()
        tickets = [t for t in tickets if sla_state(t, now) == filters.sla]
    return tickets


async def timeline(session: AsyncSession, *, ticket: RepairTicket) -> list[tuple[datetime, str, object]]:
    """Audit rows and notes of a ticket, oldest first: (when, "event" | "note", row)."""
    events = await session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "repair",
                                                            AuditEvent.entity_id == str(ticket.id)))
    notes = await session.scalars(select(RepairNote).where(RepairNote.ticket_id == ticket.id))
    items = [(e.created_at, "event", e) for e in events] + [(n.created_at, "note", n) for n in notes]
    return sorted(items, key=lambda item: item[0])
