"""Rows the billing tests start from: the seeded demo community (阳光花园), its fee items and 张伟's household."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from workflows.billing.models import FeeItem
from workflows.community.models import Building, Community, Household


@dataclass
class BillingDemo:
    community_id: int
    other_community_id: int
    household_id: int
    items: dict[str, int]  # fee item name → id


async def billing_demo(runtime) -> BillingDemo:
    async with runtime.sessions() as session:
        community = await session.scalar(select(Community).where(Community.code == "YGHY"))
        other = await session.scalar(select(Community).where(Community.code == "CHY"))
        household = await session.scalar(select(Household).join(Building).where(
            Household.community_id == community.id, Building.name == "1栋", Household.room == "1单元101"))
        items = dict((await session.execute(select(FeeItem.name, FeeItem.id).where(
            FeeItem.community_id == community.id))).all())
        return BillingDemo(community.id, other.id, household.id, items)
