"""Rows the repairs and complaints tests start from, on the seeded demo community (阳光花园)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from workflows.community.models import Building, Community, Household, Resident
from workflows.db import transaction
from workflows.escalations.service import Actor
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairTicket
from workflows.staff.models import StaffUser

OPENID = "o-test-zhangwei"


@dataclass
class Demo:
    community_id: int
    other_community_id: int
    household_id: int
    building_id: int
    resident_id: int
    staff: dict[str, StaffUser]

    def actor(self, username: str) -> Actor:
        return repairs.staff_actor(self.staff[username])


async def demo(runtime) -> Demo:
    async with runtime.sessions() as session:
        community = await session.scalar(select(Community).where(Community.code == "YGHY"))
        other = await session.scalar(select(Community).where(Community.code == "CHY"))
        household = await session.scalar(select(Household).join(Building).where(
            Household.community_id == community.id, Building.name == "1栋", Household.room == "1单元101"))
        resident = await session.scalar(select(Resident).where(Resident.household_id == household.id))
        staff = {s.username: s for s in await session.scalars(select(StaffUser))}
        return Demo(community.id, other.id, household.id, household.building_id, resident.id, staff)


async def open_ticket(runtime, d: Demo, *, category: str = "水电", description: str = "厨房水龙头坏了",
                      openid: str = OPENID, **extra) -> RepairTicket:
    values = {"household_id": d.household_id, "building_id": d.building_id, "location_text": "1栋1单元101",
              "resident_id": d.resident_id, "contact_phone": "13800001234", **extra}
    async with transaction(runtime.sessions) as session:
        return await repairs.open_repair(session, community_id=d.community_id, openid=openid, category=category,
                                         description=description, **values)


async def act(runtime, ticket_id: int, function, **kwargs) -> RepairTicket:
    """Load the ticket in a fresh transaction and apply one service function to it."""
    async with transaction(runtime.sessions) as session:
        ticket = await session.get(RepairTicket, ticket_id)
        return await function(session, ticket=ticket, **kwargs)
