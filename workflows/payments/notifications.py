"""Payment notifications (支付通知), whichever provider sent them: verify (signature over the raw body, the key
chosen by serial, timestamp within 5 minutes, decryption — the provider's job), check merchant, app, order and
amount, store the notification id once, and settle — all or nothing in one transaction.

Answers follow WeChat Pay's rules: 200 when newly settled, 204 for a duplicate or an already-paid order (nothing
changes), 401 for a forged/stale/tampered one (nothing stored), 500 for a notification we cannot place yet (an
unknown order: WeChat retries on its schedule; finance gets one item)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflows.billing.pricing import yuan
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.payments import messages as text
from workflows.payments.models import PaymentNotification
from workflows.payments.providers.interface import Notification, NotificationRefused, PaymentProvider
from workflows.payments.settle import Settled, flag_issue, settle_payment
from workflows.statemachine import TransitionNotAllowed

log = logging.getLogger("linli.payments")
ATTEMPTS = 3


class Answer(enum.IntEnum):
    SETTLED = 200
    NOTHING_CHANGED = 204
    REFUSED = 401
    RETRY_LATER = 500


@dataclass(frozen=True)
class NotifyResult:
    answer: Answer
    outcome: str


async def _record(session: AsyncSession, provider: PaymentProvider, note: Notification, outcome: str,
                  out_trade_no: str) -> None:
    session.add(PaymentNotification(provider=provider.name, notification_id=note.id[:64],
                                    event_type=note.event_type[:40], out_trade_no=out_trade_no[:32],
                                    outcome=outcome))
    await session.flush()  # the unique (provider, id) makes a concurrent copy wait here, then fail


async def _settle_once(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider,
                       note: Notification) -> NotifyResult:
    trade = note.trade()
    async with transaction(sessions) as session:
        if await session.scalar(select(PaymentNotification.id).where(
                PaymentNotification.provider == provider.name,
                PaymentNotification.notification_id == note.id[:64])) is not None:
            return NotifyResult(Answer.NOTHING_CHANGED, "duplicate")
        await _record(session, provider, note, "pending", trade.out_trade_no)
        result = await settle_payment(session, out_trade_no=trade.out_trade_no, amount_fen=trade.amount_fen,
                                      transaction_id=trade.transaction_id or None, paid_at=trade.paid_at)
        if result.outcome == Settled.UNKNOWN_ORDER:
            raise _UnknownOrder
        row = await session.scalar(select(PaymentNotification).where(
            PaymentNotification.provider == provider.name, PaymentNotification.notification_id == note.id[:64]))
        row.outcome = result.outcome.value
    if result.outcome == Settled.SETTLED:
        return NotifyResult(Answer.SETTLED, result.outcome.value)
    return NotifyResult(Answer.NOTHING_CHANGED, result.outcome.value)


class _UnknownOrder(Exception):
    pass


async def handle_payment_notification(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider,
                                      headers: Mapping[str, str], body: bytes, *,
                                      now: datetime | None = None) -> NotifyResult:
    """One notification from `provider`, raw body bytes as received."""
    try:
        note = await provider.verify_notification(headers, body, now=now or utcnow())
    except NotificationRefused as exc:
        log.warning("payment notification refused: %s", exc)
        return NotifyResult(Answer.REFUSED, f"refused: {exc}")
    if not note.event_type.startswith("TRANSACTION."):
        return await _other_event(sessions, provider, note)
    trade = note.trade()
    if trade.mchid != provider.mchid or trade.appid != provider.appid:
        log.warning("payment notification for mchid %s appid %s refused", trade.mchid, trade.appid)
        return NotifyResult(Answer.REFUSED, "refused: merchant or app")
    if not trade.paid:
        return NotifyResult(Answer.NOTHING_CHANGED, f"state {trade.state}")
    for attempt in range(ATTEMPTS):
        try:
            return await _settle_once(sessions, provider, note)
        except _UnknownOrder:
            log.warning("payment notification for unknown order %s", trade.out_trade_no)
            async with transaction(sessions) as session:
                await flag_issue(session, kind=Settled.UNKNOWN_ORDER.value, dedup_key=f"unknown:{note.id}",
                                 detail=text.ISSUE_UNKNOWN.format(out_trade_no=trade.out_trade_no,
                                                                  amount=yuan(trade.amount_fen)),
                                 data={"out_trade_no": trade.out_trade_no, "transaction_id": trade.transaction_id})
            return NotifyResult(Answer.RETRY_LATER, Settled.UNKNOWN_ORDER.value)
        except IntegrityError:  # the same notification id was stored by a concurrent delivery
            return NotifyResult(Answer.NOTHING_CHANGED, "duplicate")
        except (StaleDataError, TransitionNotAllowed, OperationalError):  # a concurrent settle or a busy SQLite
            if attempt == ATTEMPTS - 1:
                log.exception("settling %s failed after %d attempts", trade.out_trade_no, ATTEMPTS)
    return NotifyResult(Answer.RETRY_LATER, "conflict")


async def _other_event(sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider,
                       note: Notification) -> NotifyResult:
    """Refund notifications complete their refund (refunds.py); other events are stored once and acknowledged."""
    from workflows.payments.refunds import apply_refund_notification

    try:
        async with transaction(sessions) as session:
            if await session.scalar(select(PaymentNotification.id).where(
                    PaymentNotification.provider == provider.name,
                    PaymentNotification.notification_id == note.id[:64])) is not None:
                return NotifyResult(Answer.NOTHING_CHANGED, "duplicate")
            outcome = await apply_refund_notification(session, note) if note.event_type.startswith("REFUND.") \
                else "ignored"
            await _record(session, provider, note, outcome, str(note.resource.get("out_trade_no", "")))
    except IntegrityError:
        return NotifyResult(Answer.NOTHING_CHANGED, "duplicate")
    return NotifyResult(Answer.NOTHING_CHANGED, outcome)
