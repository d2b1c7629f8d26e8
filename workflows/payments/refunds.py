"""退款: staff ask for a refund of an order (or of the second payment of bills another order paid); the provider's
answer or its refund notification completes it, with a negative ledger row. Bills stay as they are: a refund of a
settled order is money returned, and staff cancel or re-bill the lines explicitly if that is what it means."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.escalations.service import Actor
from workflows.payments.models import LedgerEntry, OrderStatus, PaymentOrder, Refund
from workflows.payments.providers.interface import Notification, PaymentProvider


class RefundRefused(ValueError):
    pass


async def request_refund(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, *,
                         out_trade_no: str, amount_fen: int, reason: str, actor: Actor, notify_url: str) -> Refund:
    """Record the refund, ask the provider, and complete it at once when the provider says SUCCESS."""
    async with transaction(sessions) as session:
        order = await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no)
                                     .with_for_update())
        if order is None or order.status != OrderStatus.PAID:
            raise RefundRefused("只有已支付的订单可以退款")
        if not 0 < amount_fen <= order.paid_fen - order.refunded_fen:
            raise RefundRefused("退款金额要大于 0 且不超过未退金额")
        count = len(list(await session.scalars(select(Refund.id).where(Refund.order_id == order.id))))
        refund = Refund(community_id=order.community_id, order_id=order.id, amount_fen=amount_fen,
                        out_refund_no=f"{order.out_trade_no}-R{count + 1}"[:64], reason=reason[:200],
                        requested_by=actor.audit_name)
        session.add(refund)
        await session.flush()
        record_event(session, entity_type="refund", entity_id=refund.id, action="request", actor=actor,
                     community_id=order.community_id, reason=reason[:2000],
                     data={"order": order.number, "amount_fen": amount_fen})
        total, out_refund_no = order.paid_fen, refund.out_refund_no
    state = await provider.refund(out_trade_no=out_trade_no, out_refund_no=out_refund_no, amount_fen=amount_fen,
                                  total_fen=total, reason=reason, notify_url=notify_url)
    async with transaction(sessions) as session:
        refund = await session.scalar(select(Refund).where(Refund.out_refund_no == out_refund_no))
        refund.refund_id = state.refund_id
        if state.status == "SUCCESS":
            await _complete(session, refund, utcnow())
        return refund


async def _complete(session: AsyncSession, refund: Refund, at: datetime) -> None:
    if refund.status == "success":
        return
    order = await session.get(PaymentOrder, refund.order_id, with_for_update=True)
    refund.status, refund.completed_at = "success", at
    order.refunded_fen += refund.amount_fen
    session.add(LedgerEntry(community_id=order.community_id, order_id=order.id, kind="refund", method=order.method,
                            amount_fen=-refund.amount_fen, created_at=at))
    await session.flush()


async def apply_refund_notification(session: AsyncSession, note: Notification) -> str:
    """REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL for one of our refunds."""
    out_refund_no = str(note.resource.get("out_refund_no", ""))
    refund = await session.scalar(select(Refund).where(Refund.out_refund_no == out_refund_no).with_for_update())
    if refund is None:
        return "unknown_refund"
    status = str(note.resource.get("refund_status", ""))
    if status == "SUCCESS":
        await _complete(session, refund, utcnow())
        return "refunded"
    if refund.status == "processing":
        refund.status = "failed"
    return f"refund_{status.lower() or 'unknown'}"
