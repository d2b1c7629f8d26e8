"""Demo billing (`linli demo`): fee items, parking spaces, water readings and two months of bills per community,
so `make run` shows bills to pay. Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.generation import insert_lines, plan_lines
from workflows.billing.models import FeeItem, ParkingSpace
from workflows.billing.service import FeeItemInput, create_fee_item, record_meter_reading
from workflows.community.models import Community, Household

DEMO_PERIODS = ("2026-11", "2026-12")

FEE_ITEMS = (
    FeeItemInput(name="物业费", kind="area", unit_price="2.80", unit="㎡", due_day=15,
                 effective_from=date(2026, 1, 1), late_fee_daily_rate="0.0005", late_fee_grace_days=15,
                 late_fee_cap_rate="0.3"),
    FeeItemInput(name="垃圾处理费", kind="fixed", unit_price="8", unit="户", due_day=15,
                 effective_from=date(2026, 1, 1)),
    FeeItemInput(name="月租车位", kind="parking", unit_price="300", unit="个", due_day=5,
                 effective_from=date(2026, 1, 1)),
    FeeItemInput(name="水费", kind="metered", unit_price="4.20", unit="吨", mode="postpaid", due_day=20,
                 effective_from=date(2026, 1, 1)),
)


async def seed_billing(session: AsyncSession, community: Community, *, spaces: int) -> int:
    """Fee items, rented spaces, readings and the demo months' bills for one community; returns lines added."""
    if await session.scalar(select(FeeItem.id).where(FeeItem.community_id == community.id)) is not None:
        return 0
    items = {data.name: await create_fee_item(session, community_id=community.id, data=data, actor="demo")
             for data in FEE_ITEMS}
    households = list(await session.scalars(select(Household).where(Household.community_id == community.id)
                                            .order_by(Household.id)))
    for number, household in enumerate(households[:spaces], start=1):
        session.add(ParkingSpace(community_id=community.id, code=f"B1-{number:03d}", household_id=household.id,
                                 rented_from=date(2026, 11, 16) if number == 2 else date(2025, 1, 1)))
    for index, household in enumerate(households):
        start = Decimal(100 + index * 7)
        for month, used in (("2026-09", 0), ("2026-10", 9 + index % 7), ("2026-11", 18 + index % 11)):
            await record_meter_reading(session, household=household, item=items["水费"], period=month,
                                       value=start + used, source="import", recorded_by="demo")
    await session.flush()
    added = 0
    for period in DEMO_PERIODS:
        added += await insert_lines(session, await plan_lines(session, community_id=community.id, period=period))
    return added
