"""What an owner reads of their own payments, in chat (收据) and on the pay page (an order's status): plain values and
small views, so the bot holds no ORM row. Issuing receipts is workflows.payments.settle's job."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.payments.models import ORDER_STATUS_LABELS, OrderStatus, Receipt
from workflows.payments.orders import order_by_out_trade_no
from workflows.payments.settle import receipt_message


@dataclass(frozen=True)
class OrderStatusView:
    status: OrderStatus
    label: str  # 已支付
    receipt: str | None  # the receipt's number once paid


async def owner_receipt_text(session: AsyncSession, *, openid: str, number: str | None = None) -> str | None:
    """The owner's receipt `number` (their latest when None) as a chat message; None when they have no such one."""
    query = select(Receipt).where(Receipt.openid == openid).order_by(Receipt.id.desc()).limit(1)
    if number is not None:
        query = query.where(Receipt.number == number)
    receipt = await session.scalar(query)
    return receipt_message(receipt) if receipt is not None else None


async def owner_order_status(session: AsyncSession, *, openid: str, out_trade_no: str) -> OrderStatusView | None:
    """The owner's payment order's status (and its receipt once paid); None when it is not theirs."""
    order = await order_by_out_trade_no(session, out_trade_no)
    if order is None or order.openid != openid:
        return None
    receipt = None
    if order.status == OrderStatus.PAID:
        receipt = await session.scalar(select(Receipt.number).where(Receipt.order_id == order.id))
    return OrderStatusView(status=order.status, label=ORDER_STATUS_LABELS[order.status], receipt=receipt)
