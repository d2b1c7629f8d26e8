"""Orchestration with the provider's network calls kept outside database transactions: start paying a link's
bills (an open order for exactly those bills is reused; other open orders holding them are queried — settled if
paid — and closed first), and settle what a query found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.access import Actor
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.payments import messages as text
from workflows.payments.links import PayLink
from workflows.payments.models import OrderStatus, PaymentMethod, PaymentOrder
from workflows.payments.orders import (
    PaymentRefused,
    create_order,
    end_order,
    mark_prepaid,
    open_orders_for,
    order_by_out_trade_no,
    owner_unpaid_bills,
)
from workflows.payments.providers.interface import PaymentProvider, PrepayRequest, ProviderError, TradeState
from workflows.payments.settle import SYSTEM, SettleResult, settle_payment

ORDER_TTL = timedelta(minutes=15)  # time_expire given to the provider


@dataclass(frozen=True)
class PayStart:
    order_number: str
    out_trade_no: str
    amount_fen: int
    pay_params: dict[str, str]


async def settle_trade(sessions: async_sessionmaker[AsyncSession], trade: TradeState) -> SettleResult:
    """An order query said SUCCESS: settle exactly like a notification would."""
    async with transaction(sessions) as session:
        return await settle_payment(session, out_trade_no=trade.out_trade_no, amount_fen=trade.amount_fen,
                                    transaction_id=trade.transaction_id or None, paid_at=trade.paid_at)


async def _retire(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, order: PaymentOrder,
                  actor: Actor) -> bool:
    """Query, then close an open order that holds bills of a new one; True when it turned out to be paid."""
    if order.status == OrderStatus.PREPAID:
        trade = await provider.query(order.out_trade_no)
        if trade.paid:
            await settle_trade(sessions, trade)
            return True
        try:
            await provider.close(order.out_trade_no)
        except ProviderError:  # paid in the meantime: the query next time (or its notification) settles it
            return True
    async with transaction(sessions) as session:
        fresh = await order_by_out_trade_no(session, order.out_trade_no)
        if fresh is not None and fresh.status in (OrderStatus.CREATED, OrderStatus.PREPAID):
            await end_order(session, order=fresh, action="close", actor=actor, reason="replaced")
    return False


async def start_payment(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, *, link: PayLink,
                        notify_url: str, description: str, now: datetime | None = None) -> PayStart:
    """An order for the link's bills placed with the provider, ready for the page; PaymentRefused when the bills
    are paid, not the openid's, or now cost something else than the link says."""
    now = now or utcnow()
    actor = Actor.owner(link.openid)
    bill_ids = list(link.bill_ids)
    async with sessions() as session:
        bills = await owner_unpaid_bills(session, openid=link.openid, bill_ids=bill_ids)
        open_orders = await open_orders_for(session, bill_ids=bill_ids)
    if len(bills) != len(set(bill_ids)):
        raise PaymentRefused(text.ALREADY_PAID if not bills else text.BILL_NOT_PAYABLE)
    total = sum(bill.total_fen for bill in bills)
    if total != link.total_fen:
        raise PaymentRefused(text.AMOUNT_CHANGED)
    for order in open_orders:
        same = sorted(line.bill_id for line in order.lines) == sorted(bill_ids) and order.amount_fen == total
        if (same and order.openid == link.openid and order.status == OrderStatus.PREPAID and order.expires_at
                and order.expires_at - now > timedelta(minutes=2)):
            return PayStart(order.number, order.out_trade_no, order.amount_fen, provider.pay_params(order.prepay_id))
        if await _retire(sessions, provider, order, actor):
            raise PaymentRefused(text.ALREADY_PAID)
    async with transaction(sessions) as session:
        order = await create_order(session, bills=bills, method=_method(provider), openid=link.openid,
                                   actor=actor, now=now)
    expires_at = now + ORDER_TTL
    try:
        prepay = await provider.prepay(PrepayRequest(out_trade_no=order.out_trade_no, description=description,
                                                     amount_fen=order.amount_fen, payer_openid=link.openid,
                                                     time_expire=expires_at, notify_url=notify_url))
    except ProviderError:
        async with transaction(sessions) as session:
            fresh = await order_by_out_trade_no(session, order.out_trade_no)
            await end_order(session, order=fresh, action="close", actor=SYSTEM, reason="prepay failed")
        raise
    async with transaction(sessions) as session:
        fresh = await order_by_out_trade_no(session, order.out_trade_no)
        await mark_prepaid(session, order=fresh, prepay_id=prepay.prepay_id, expires_at=expires_at, actor=actor,
                           now=now)
    return PayStart(order.number, order.out_trade_no, order.amount_fen, prepay.pay_params)


def _method(provider: PaymentProvider) -> PaymentMethod:
    return PaymentMethod.SANDBOX if provider.sandbox else PaymentMethod.WECHAT
