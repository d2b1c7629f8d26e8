"""Duplicate measurement (重复报修): finding an open ticket a new submission repeats, and the monthly report.

A submission repeats an open ticket when it comes from the same household with the same category, or when it is a
public-area report of the same category whose place or description is similar (character bigrams) or whose WeChat
location lies within 80 m. Duplicate rate = (duplicates prevented + duplicates created anyway) / all submissions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.clock import SHANGHAI, utcnow
from workflows.repairs.models import OPEN_STATUSES, DuplicatePrevented, RepairTicket

PUBLIC_LOOKBACK = timedelta(days=14)
NEAR_METRES = 80


def bigrams(text: str) -> set[str]:
    cleaned = "".join(ch for ch in text if ch.isalnum())
    return {cleaned[i:i + 2] for i in range(len(cleaned) - 1)} or ({cleaned} if cleaned else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: 0 (nothing shared) .. 1 (same)."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    rad = math.radians
    a = (math.sin(rad(lat2 - lat1) / 2) ** 2
         + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(rad(lon2 - lon1) / 2) ** 2)
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


def similar_public_report(ticket: RepairTicket, *, location_text: str, description: str,
                          latitude: float | None, longitude: float | None) -> bool:
    if None not in (latitude, longitude, ticket.latitude, ticket.longitude):
        if distance_m(latitude, longitude, ticket.latitude, ticket.longitude) <= NEAR_METRES:
            return True
    return (similarity(location_text, ticket.location_text) >= 0.5
            or similarity(description, ticket.description) >= 0.3)


async def find_open_duplicate(session: AsyncSession, *, community_id: int, category: str,
                              household_id: int | None = None, public_area: bool = False, location_text: str = "",
                              description: str = "", latitude: float | None = None, longitude: float | None = None,
                              now: datetime | None = None) -> tuple[RepairTicket, str] | None:
    """The open ticket this submission would repeat and how it matched ("same_household" / "public_area")."""
    base = select(RepairTicket).where(RepairTicket.community_id == community_id, RepairTicket.category == category,
                                      RepairTicket.status.in_(OPEN_STATUSES)).order_by(RepairTicket.id.desc())
    if household_id is not None and not public_area:
        found = await session.scalar(base.where(RepairTicket.household_id == household_id,
                                                RepairTicket.public_area.is_(False)).limit(1))
        if found is not None:
            return found, "same_household"
    if public_area:
        since = (now or utcnow()) - PUBLIC_LOOKBACK
        for ticket in await session.scalars(base.where(RepairTicket.public_area.is_(True),
                                                       RepairTicket.created_at >= since).limit(50)):
            if similar_public_report(ticket, location_text=location_text, description=description,
                                     latitude=latitude, longitude=longitude):
                return ticket, "public_area"
    return None


async def followers(session: AsyncSession, *, ticket: RepairTicket) -> list[str]:
    """Other owners who added their details to this ticket (补充): they hear its progress too."""
    rows = await session.scalars(select(DuplicatePrevented.openid).where(
        DuplicatePrevented.ticket_id == ticket.id, DuplicatePrevented.openid != ticket.openid).distinct())
    return sorted(set(rows))


@dataclass(frozen=True)
class MonthlyDuplicates:
    month: str  # 2026-11
    tickets_created: int
    duplicates_prevented: int  # redirected to an open ticket (补充到已有工单)
    duplicates_created: int  # shown the open ticket, still created a new one (仍然新建)

    @property
    def submissions(self) -> int:
        return self.tickets_created + self.duplicates_prevented

    @property
    def duplicate_rate(self) -> float:
        """Share of submissions that repeated an open ticket."""
        repeated = self.duplicates_prevented + self.duplicates_created
        return repeated / self.submissions if self.submissions else 0.0


def month_bounds(year: int, month: int, tz: ZoneInfo = SHANGHAI) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


async def monthly_duplicate_report(session: AsyncSession, *, year: int, month: int, community_id: int | None = None,
                                   community_ids: set[int] | None = None,
                                   tz: ZoneInfo = SHANGHAI) -> MonthlyDuplicates:
    """Tickets created, duplicates prevented and the duplicate rate of one local month (one community, several, or
    all when neither is given)."""
    start, end = month_bounds(year, month, tz)
    tickets = select(func.count(RepairTicket.id)).where(RepairTicket.created_at >= start, RepairTicket.created_at < end)
    prevented = select(func.count(DuplicatePrevented.id)).where(
        DuplicatePrevented.kind == "repair", DuplicatePrevented.created_at >= start,
        DuplicatePrevented.created_at < end)
    if community_id is not None:
        community_ids = {community_id}
    if community_ids is not None:
        tickets = tickets.where(RepairTicket.community_id.in_(community_ids))
        prevented = prevented.where(DuplicatePrevented.community_id.in_(community_ids))
    created = await session.scalar(tickets) or 0
    duplicates_created = await session.scalar(tickets.where(RepairTicket.duplicate_of_id.is_not(None))) or 0
    return MonthlyDuplicates(month=f"{year:04d}-{month:02d}", tickets_created=created,
                             duplicates_prevented=await session.scalar(prevented) or 0,
                             duplicates_created=duplicates_created)
