"""Demo payments (`linli demo`): most households paid November at the front desk or by bank debit, so the
dashboard's 缴费率 and the finance pages have something true to show; 1栋1单元101 (张伟) has not, so the walkthrough
in README has bills (with a late fee) to pay. Idempotent: households with a paid November are skipped."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select

from workflows.access import Actor
from workflows.billing.models import Bill, BillStatus
from workflows.community.models import Building, Community, Household
from workflows.payments.models import PaymentMethod
from workflows.payments.orders import record_offline_payment

DEMO_ACTOR = Actor(role="finance")


async def seed_payments(session, community: Community, *, share: float = 0.75) -> int:  # noqa: ANN001
    """Settle November's bills of about `share` of the households; returns the orders made."""
    rng = random.Random(community.id * 1127)
    keep_unpaid = await session.scalar(select(Household.id).join(Building).where(
        Household.community_id == community.id, Building.name == "1栋", Household.room == "1单元101"))
    rows = (await session.execute(select(Bill.household_id, Bill.id).where(
        Bill.community_id == community.id, Bill.period == "2026-11", Bill.status == BillStatus.UNPAID)
        .order_by(Bill.household_id, Bill.id))).all()
    by_household: dict[int, list[int]] = {}
    for household_id, bill_id in rows:
        by_household.setdefault(household_id, []).append(bill_id)
    orders = 0
    for household_id, bill_ids in by_household.items():
        if household_id == keep_unpaid or rng.random() > share:
            continue
        method = rng.choice((PaymentMethod.CASH, PaymentMethod.TRANSFER, PaymentMethod.POS,
                             PaymentMethod.BANK_DEBIT))
        paid_at = datetime(2026, 11, rng.randint(3, 20), rng.randint(1, 9), tzinfo=UTC)
        await record_offline_payment(session, household_ids=[household_id], bill_ids=bill_ids, method=method,
                                     actor=DEMO_ACTOR, note="演示数据", paid_at=paid_at)
        orders += 1
    return orders
