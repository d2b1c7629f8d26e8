"""Payment timers (the `payment-timers` loop, every minute): orders still unpaid 10 minutes after prepay are
queried (查单) — a paid one is settled like a notification — and those past their time_expire are closed at the
provider and marked expired."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.clock import utcnow
from workflows.db import transaction
from workflows.payments.flows import settle_trade
from workflows.payments.models import OrderStatus, PaymentOrder
from workflows.payments.orders import end_order, order_by_out_trade_no
from workflows.payments.providers.interface import PaymentProvider, ProviderError
from workflows.payments.settle import SYSTEM

log = logging.getLogger("linli.payments")
QUERY_AFTER = timedelta(minutes=10)
QUERY_EVERY = timedelta(minutes=5)


async def run_payment_timers(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, *,
                             now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """One pass; returns counts (queried, settled, expired)."""
    now = now or utcnow()
    counts = {"queried": 0, "settled": 0, "expired": 0}
    async with sessions() as session:
        due = list(await session.scalars(
            select(PaymentOrder.out_trade_no).where(
                PaymentOrder.status == OrderStatus.PREPAID, PaymentOrder.prepaid_at <= now - QUERY_AFTER,
                or_(PaymentOrder.queried_at.is_(None), PaymentOrder.queried_at <= now - QUERY_EVERY))
            .order_by(PaymentOrder.prepaid_at).limit(limit)))
    for out_trade_no in due:
        try:
            trade = await provider.query(out_trade_no)
        except ProviderError:
            log.warning("order query for %s failed; next pass", out_trade_no)
            continue
        counts["queried"] += 1
        if trade.paid:
            await settle_trade(sessions, trade)
            counts["settled"] += 1
            continue
        await _expire_if_due(sessions, provider, out_trade_no, now, counts)
    return counts


async def _expire_if_due(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, out_trade_no: str,
                         now: datetime, counts: dict[str, int]) -> None:
    async with sessions() as session:
        order = await order_by_out_trade_no(session, out_trade_no)
        expired = order is not None and order.expires_at is not None and order.expires_at <= now
    if expired:
        try:
            await provider.close(out_trade_no)
        except ProviderError:  # paid at the last moment: the next query settles it
            return
        async with transaction(sessions) as session:
            fresh = await order_by_out_trade_no(session, out_trade_no)
            if fresh is not None and fresh.status == OrderStatus.PREPAID:
                await end_order(session, order=fresh, action="expire", actor=SYSTEM, reason="time_expire")
                counts["expired"] += 1
        return
    async with transaction(sessions) as session:
        await session.execute(update(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no)
                              .values(queried_at=now).execution_options(synchronize_session=False))
