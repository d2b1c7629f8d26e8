"""Points rules, paid months and rewards for the points tests (chat and workflows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from workflows.billing.models import Bill, BillStatus
from workflows.clock import SHANGHAI
from workflows.db import transaction
from workflows.payments.models import PaymentMethod
from workflows.payments.orders import record_offline_payment
from workflows.points.service import balance, save_reward, save_rule
from workflows.repairs.service import staff_actor


async def points_rules(runtime, community_id, *, on_time=10, streak=50, months=3):
    async with transaction(runtime.sessions) as session:
        await save_rule(session, community_id=community_id, kind="on_time", points=on_time)
        await save_rule(session, community_id=community_id, kind="streak", points=streak, months=months)


async def pay_month(runtime, payer, period, *, on_time=True):
    """Pay every bill of the household for `period` offline, on the due date or a day after it."""
    async with transaction(runtime.sessions) as session:
        bills = list(await session.scalars(select(Bill).where(Bill.household_id == payer.household_id,
                                                              Bill.period == period,
                                                              Bill.status == BillStatus.UNPAID)))
        due = min(b.due_date for b in bills)
        moment = datetime(due.year, due.month, due.day, 10, 0, tzinfo=SHANGHAI) + timedelta(days=0 if on_time else 1)
        await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=[b.id for b in bills],
                                     method=PaymentMethod.CASH, actor=staff_actor(payer.staff["manager"]),
                                     paid_at=moment)


async def points_of(runtime, household_id):
    async with runtime.sessions() as session:
        return await balance(session, household_id=household_id)


async def copy_month(runtime, household_id, source, target):
    """Bills of `target` like those of `source` (one month later due), so a streak can be tested."""
    async with transaction(runtime.sessions) as session:
        for bill in list(await session.scalars(select(Bill).where(Bill.household_id == household_id,
                                                                  Bill.period == source))):
            year, month = int(target[:4]), int(target[5:])
            session.add(Bill(community_id=bill.community_id, building_id=bill.building_id, household_id=household_id,
                             space_id=bill.space_id, fee_item_id=bill.fee_item_id, subject=bill.subject,
                             period=target, service_start=bill.service_start, service_end=bill.service_end,
                             quantity=bill.quantity, unit_price=bill.unit_price, amount_fen=bill.amount_fen,
                             due_date=bill.due_date.replace(year=year, month=month)))


async def make_reward(runtime, community_id, *, cost=30, stock=2, name="停车优惠券"):
    async with transaction(runtime.sessions) as session:
        return (await save_reward(session, community_id=community_id, name=name, cost_points=cost,
                                  stock=stock)).id
