"""The one settling service (核销): every payment — a verified WeChat Pay notification, an order query, the
sandbox, or money staff received offline — credits bills here, in the caller's transaction:

  order row locked → already paid: nothing changes → amount differs: flagged for finance, bills untouched →
  bills still unpaid: marked paid (conditional UPDATE, so two orders racing for one bill credit it once) →
  ledger rows, the receipt, the order's transition and the outbox rows (the owner's chat message) — or, when
  another order paid those bills first, the order is paid but flagged for a refund.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from workflows.access import SYSTEM as ACCESS_SYSTEM
from workflows.access import Actor
from workflows.billing.models import Bill, BillStatus
from workflows.billing.pricing import yuan
from workflows.clock import show, utcnow
from workflows.community.models import Community, Household
from workflows.outbox.service import enqueue
from workflows.payments import messages as text
from workflows.payments.models import (
    METHOD_LABELS,
    LedgerEntry,
    OrderStatus,
    PaymentIssue,
    PaymentOrder,
    Receipt,
)
from workflows.payments.states import TRANSITIONS
from workflows.points import messages as points_text
from workflows.points.service import award_for_payment
from workflows.points.service import balance as points_balance
from workflows.reminders.stopping import cancel_pending_reminders
from workflows.statemachine import apply_transition

SYSTEM = ACCESS_SYSTEM


class Settled(enum.StrEnum):
    SETTLED = "settled"  # bills credited, receipt issued
    ALREADY_PAID = "already_paid"  # a duplicate: nothing changed
    AMOUNT_MISMATCH = "amount_mismatch"  # flagged for finance, bills untouched
    DOUBLE_PAYMENT = "double_payment"  # money received for bills another order paid: flagged for a refund
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class SettleResult:
    outcome: Settled
    order: PaymentOrder | None = None
    receipt: Receipt | None = None


async def flag_issue(session: AsyncSession, *, kind: str, detail: str, dedup_key: str,
                     community_id: int | None = None, order_id: int | None = None,
                     data: dict | None = None) -> PaymentIssue | None:
    """One item for finance per dedup key (a retried notification does not add a second)."""
    if await session.scalar(select(PaymentIssue.id).where(PaymentIssue.dedup_key == dedup_key)) is not None:
        return None
    issue = PaymentIssue(kind=kind, detail=detail[:2000], dedup_key=dedup_key[:120], community_id=community_id,
                         order_id=order_id, data=data or {})
    session.add(issue)
    await session.flush()
    return issue


async def lock_order(session: AsyncSession, out_trade_no: str) -> PaymentOrder | None:
    """The order row under a row lock (PostgreSQL; SQLite serialises writers and the version column checks)."""
    return await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no)
                                .with_for_update().execution_options(populate_existing=True))


async def settle_payment(session: AsyncSession, *, out_trade_no: str, amount_fen: int, transaction_id: str | None,
                         paid_at: datetime | None = None, actor: Actor = SYSTEM) -> SettleResult:
    """Credit the order's bills with a payment of `amount_fen`; see the module docstring for each outcome."""
    order = await lock_order(session, out_trade_no)
    if order is None:
        return SettleResult(Settled.UNKNOWN_ORDER)
    if order.status == OrderStatus.PAID:
        return SettleResult(Settled.ALREADY_PAID, order)
    paid_at = paid_at or utcnow()
    if amount_fen != order.amount_fen:
        await flag_issue(session, kind=Settled.AMOUNT_MISMATCH.value, community_id=order.community_id,
                         order_id=order.id, dedup_key=f"amount:{order.out_trade_no}:{transaction_id}",
                         detail=text.ISSUE_AMOUNT.format(number=order.number, expected=yuan(order.amount_fen),
                                                         paid=yuan(amount_fen)),
                         data={"transaction_id": transaction_id, "paid_fen": amount_fen})
        return SettleResult(Settled.AMOUNT_MISMATCH, order)
    bill_ids = [line.bill_id for line in order.lines]
    credited = list(await session.scalars(
        update(Bill).where(Bill.id.in_(bill_ids), Bill.status == BillStatus.UNPAID)
        .values(status=BillStatus.PAID, paid_at=paid_at).returning(Bill.id)
        .execution_options(synchronize_session=False)))
    if len(credited) != len(bill_ids):  # another order paid some of them first: undo ours, flag this money
        if credited:
            await session.execute(update(Bill).where(Bill.id.in_(credited))
                                  .values(status=BillStatus.UNPAID, paid_at=None)
                                  .execution_options(synchronize_session=False))
        await _mark_paid(session, order, actor, amount_fen, transaction_id, paid_at, reason="double_payment")
        await flag_issue(session, kind=Settled.DOUBLE_PAYMENT.value, community_id=order.community_id,
                         order_id=order.id, dedup_key=f"double:{order.out_trade_no}",
                         detail=text.ISSUE_DOUBLE.format(number=order.number, paid=yuan(amount_fen)),
                         data={"transaction_id": transaction_id, "paid_fen": amount_fen, "refund_due": True})
        return SettleResult(Settled.DOUBLE_PAYMENT, order)
    for line in order.lines:
        await session.execute(update(Bill).where(Bill.id == line.bill_id).values(late_fee_fen=line.late_fee_fen)
                              .execution_options(synchronize_session=False))
    await _mark_paid(session, order, actor, amount_fen, transaction_id, paid_at, reason="")
    receipt = await _issue_receipt(session, order, paid_at)
    await _after_settled(session, order, bill_ids, paid_at)
    return SettleResult(Settled.SETTLED, order, receipt)


async def _mark_paid(session: AsyncSession, order: PaymentOrder, actor: Actor, amount_fen: int,
                     transaction_id: str | None, paid_at: datetime, *, reason: str) -> None:
    await apply_transition(session, order, table=TRANSITIONS, action="pay", actor=actor, entity_type="payment_order",
                           reason=reason, changes={"paid_at": paid_at, "paid_fen": amount_fen,
                                                   "transaction_id": transaction_id},
                           data={"amount_fen": amount_fen, "method": order.method.value})


async def _issue_receipt(session: AsyncSession, order: PaymentOrder, paid_at: datetime) -> Receipt:
    """Ledger rows, the receipt and the owner's chat message (outbox), in the settling transaction."""
    bills = {bill.id: bill for bill in await session.scalars(
        select(Bill).where(Bill.id.in_([line.bill_id for line in order.lines])).execution_options(
            populate_existing=True))}
    households = {household.id: household for household in await session.scalars(
        select(Household).options(selectinload(Household.building))
        .where(Household.id.in_({bill.household_id for bill in bills.values()})))}
    items = []
    for line in order.lines:
        bill = bills[line.bill_id]
        session.add(LedgerEntry(community_id=order.community_id, household_id=bill.household_id, bill_id=bill.id,
                                order_id=order.id, kind="payment", method=order.method,
                                amount_fen=line.amount_fen + line.late_fee_fen, late_fee_fen=line.late_fee_fen,
                                created_at=paid_at))
        items.append({"household": households[bill.household_id].label, "item": bill.fee_item.name,
                      "period": bill.period, "description": bill.description, "amount_fen": line.amount_fen,
                      "late_fee_fen": line.late_fee_fen})
    code = await session.scalar(select(Community.code).where(Community.id == order.community_id))
    # The receipt takes its order's number (JF-20261207-0003 → SJ-20261207-0003): unique like the order's, and no
    # shared counter row to lock while settling — at month end every settlement would queue on it.
    number = "SJ-" + order.number.split("-", 1)[1]
    labels = "、".join(sorted({item["household"] for item in items}))
    receipt = Receipt(number=f"{code}-{number}", community_id=order.community_id, order_id=order.id,
                      openid=order.openid, households=labels[:200], items=items, amount_fen=order.amount_fen,
                      method=order.method, issued_at=paid_at)
    session.add(receipt)
    await session.flush()
    if order.openid:
        await enqueue(session, kind="wechat.text", community_id=order.community_id, dedup_key=f"paid:{order.id}",
                      payload={"openid": order.openid, "template": "payment_receipt", "ref": receipt.number,
                               "text": receipt_message(receipt, headline=True)})
    return receipt


async def _after_settled(session: AsyncSession, order: PaymentOrder, bill_ids: list[int], paid_at: datetime) -> None:
    """In the settling transaction: points (积分) for billing months now paid on time, told to the payer, and 催缴
    reminders still waiting in the outbox stopped for households that owe nothing past due any more."""
    awards = await award_for_payment(session, community_id=order.community_id, bill_ids=bill_ids,
                                     order_id=order.id, now=paid_at)
    if awards and order.openid:
        have = await points_balance(session, household_id=awards[0].household_id)
        await enqueue(session, kind="wechat.text", community_id=order.community_id, dedup_key=f"points:{order.id}",
                      payload={"openid": order.openid, "template": "points_awarded", "ref": order.number,
                               "text": points_text.AWARDED.format(points=sum(a.points for a in awards), balance=have,
                                                                  reasons="、".join(a.reason for a in awards))})
    households = set(await session.scalars(select(Bill.household_id).where(Bill.id.in_(bill_ids))))
    await cancel_pending_reminders(session, household_ids=households, now=paid_at)


def receipt_lines(receipt: Receipt) -> str:
    return "\n".join(text.RECEIPT_LINE.format(
        period=item["period"], item=item["item"], amount=yuan(item["amount_fen"] + item["late_fee_fen"]),
        late=text.RECEIPT_LATE.format(late=yuan(item["late_fee_fen"])) if item["late_fee_fen"] else "")
        for item in receipt.items)


def receipt_message(receipt: Receipt, *, headline: bool = False) -> str:
    """The receipt as a chat message (the paid message, or 收据 NUMBER later)."""
    method = METHOD_LABELS[receipt.method]
    if headline:
        return text.PAID_MESSAGE.format(receipt=receipt.number, households=receipt.households,
                                        lines=receipt_lines(receipt), total=yuan(receipt.amount_fen), method=method)
    return text.RECEIPT_TEXT.format(number=receipt.number, households=receipt.households, lines=receipt_lines(receipt),
                                    total=yuan(receipt.amount_fen), method=method,
                                    time=show(receipt.issued_at, fmt="%Y-%m-%d %H:%M"))
