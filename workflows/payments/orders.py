"""Making and ending payment orders: what an owner owes (unpaid bills with today's late fee), an order for some of
them, prepay bookkeeping, closing and expiring, and staff's offline payments through the one settling service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus
from workflows.billing.pricing import late_fee
from workflows.bindings.models import WechatBinding
from workflows.clock import local, utcnow
from workflows.community.models import Building, Community, Household
from workflows.escalations.service import Actor
from workflows.numbering import next_ticket_number
from workflows.payments import messages as text
from workflows.payments.models import (
    OPEN_ORDER_STATUSES,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentOrder,
)
from workflows.payments.settle import SettleResult, settle_payment
from workflows.payments.states import TRANSITIONS
from workflows.statemachine import apply_transition

OFFLINE_METHODS = (PaymentMethod.CASH, PaymentMethod.TRANSFER, PaymentMethod.POS, PaymentMethod.BANK_DEBIT)


class PaymentRefused(ValueError):
    """The bills cannot be paid this way now (paid meanwhile, not the owner's, amounts changed …)."""


@dataclass(frozen=True)
class BillView:
    """An unpaid bill as people see it, with the late fee as of `on`."""

    id: int
    community_id: int
    household_id: int
    household: str  # 1栋1单元101
    item: str
    period: str
    description: str
    amount_fen: int
    late_fee_fen: int
    due_date: date

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.late_fee_fen


def today() -> date:
    return local(utcnow()).date()


async def unpaid_bills(session: AsyncSession, *, household_ids: list[int], on: date | None = None,
                       bill_ids: list[int] | None = None) -> list[BillView]:
    """Unpaid bills of these households (optionally only these ids), oldest first, late fees as of `on`."""
    on = on or today()
    query = (select(Bill, Building.name, Household.room).join(Household, Household.id == Bill.household_id)
             .join(Building, Building.id == Household.building_id)
             .where(Bill.household_id.in_(household_ids), Bill.status == BillStatus.UNPAID)
             .order_by(Bill.period, Bill.household_id, Bill.fee_item_id, Bill.id))
    if bill_ids is not None:
        query = query.where(Bill.id.in_(bill_ids))
    views = []
    for bill, building, room in (await session.execute(query)).all():
        item = bill.fee_item
        fee = late_fee(bill.amount_fen, bill.due_date, on, daily_rate=item.late_fee_daily_rate,
                       grace_days=item.late_fee_grace_days, cap_rate=item.late_fee_cap_rate)
        views.append(BillView(bill.id, bill.community_id, bill.household_id, f"{building}{room}", item.name,
                              bill.period, bill.description, bill.amount_fen, fee, bill.due_date))
    return views


async def owner_household_ids(session: AsyncSession, *, openid: str) -> list[int]:
    return list(await session.scalars(select(WechatBinding.household_id).where(WechatBinding.openid == openid)
                                      .order_by(WechatBinding.id)))


async def owner_unpaid_bills(session: AsyncSession, *, openid: str, on: date | None = None,
                             bill_ids: list[int] | None = None) -> list[BillView]:
    """Unpaid bills of the households bound to this openid (an owner sees only their own)."""
    household_ids = await owner_household_ids(session, openid=openid)
    if not household_ids:
        return []
    return await unpaid_bills(session, household_ids=household_ids, on=on, bill_ids=bill_ids)


async def open_orders_for(session: AsyncSession, *, bill_ids: list[int]) -> list[PaymentOrder]:
    """Orders not yet paid, closed or expired that hold any of these bills."""
    return list(await session.scalars(
        select(PaymentOrder).join(OrderLine, OrderLine.order_id == PaymentOrder.id)
        .where(OrderLine.bill_id.in_(bill_ids), PaymentOrder.status.in_(OPEN_ORDER_STATUSES))
        .distinct().order_by(PaymentOrder.id)))


async def create_order(session: AsyncSession, *, bills: list[BillView], method: PaymentMethod, openid: str = "",
                       actor: Actor, note: str = "", now: datetime | None = None) -> PaymentOrder:
    """A new order (created) for these bills at their amounts and late fees now; one community per order."""
    if not bills:
        raise PaymentRefused(text.NO_BILLS)
    communities = {bill.community_id for bill in bills}
    if len(communities) != 1:
        raise PaymentRefused(text.BILLS_MIXED)
    community_id = communities.pop()
    now = now or utcnow()
    code = await session.scalar(select(Community.code).where(Community.id == community_id))
    number = await next_ticket_number(session, community_id=community_id, prefix="JF", at=now)
    order = PaymentOrder(number=number, out_trade_no=f"{code}-{number}"[:32], community_id=community_id,
                         openid=openid, method=method, amount_fen=sum(bill.total_fen for bill in bills),
                         note=note[:200], recorded_by=actor.audit_name, created_at=now, updated_at=now)
    order.lines = [OrderLine(bill_id=bill.id, amount_fen=bill.amount_fen, late_fee_fen=bill.late_fee_fen)
                   for bill in bills]
    session.add(order)
    await session.flush()
    return order


async def mark_prepaid(session: AsyncSession, *, order: PaymentOrder, prepay_id: str, expires_at: datetime,
                       actor: Actor, now: datetime | None = None) -> None:
    await apply_transition(session, order, table=TRANSITIONS, action="prepay", actor=actor,
                           entity_type="payment_order", changes={"prepay_id": prepay_id, "prepaid_at": now or utcnow(),
                                                                 "expires_at": expires_at})


async def end_order(session: AsyncSession, *, order: PaymentOrder, action: str, actor: Actor,
                    reason: str = "") -> None:
    """close (replaced, cancelled) or expire (unpaid at time_expire): the provider was told first."""
    await apply_transition(session, order, table=TRANSITIONS, action=action, actor=actor,
                           entity_type="payment_order", reason=reason)


async def record_offline_payment(session: AsyncSession, *, household_ids: list[int], bill_ids: list[int],
                                 method: PaymentMethod, actor: Actor, note: str = "",
                                 paid_at: datetime | None = None, transaction_id: str | None = None) -> SettleResult:
    """Money staff received (现金、转账、POS、银行代扣) credits the bills through the same settling service;
    `transaction_id` is the outside reference when there is one (a bank debit's serial: unique, so settled once)."""
    if method not in OFFLINE_METHODS:
        raise PaymentRefused(text.METHOD_NOT_OFFLINE)
    paid_at = paid_at or utcnow()
    bills = await unpaid_bills(session, household_ids=household_ids, bill_ids=bill_ids, on=local(paid_at).date())
    if len(bills) != len(set(bill_ids)):
        raise PaymentRefused(text.BILL_NOT_PAYABLE)
    order = await create_order(session, bills=bills, method=method, actor=actor, note=note, now=paid_at)
    return await settle_payment(session, out_trade_no=order.out_trade_no, amount_fen=order.amount_fen,
                                transaction_id=transaction_id, paid_at=paid_at, actor=actor)


async def order_by_out_trade_no(session: AsyncSession, out_trade_no: str) -> PaymentOrder | None:
    return await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no))


def order_is_open(order: PaymentOrder) -> bool:
    return order.status in (OrderStatus.CREATED, OrderStatus.PREPAID)
