"""Writing to and draining the outbox. Delivery itself (WeChat's API) lives at the edge, in bot/wechat/delivery.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.clock import utcnow
from workflows.outbox.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (2, 5, 15, 60, 300, 900, 1800, 3600)
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


async def enqueue(session: AsyncSession, *, kind: str, payload: dict[str, Any], dedup_key: str | None = None,
                  community_id: int | None = None) -> OutboxMessage | None:
    """Add a message to the outbox inside the caller's transaction; a known dedup_key adds nothing."""
    if dedup_key is not None:
        existing = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
        if existing is not None:
            return None
    message = OutboxMessage(kind=kind, payload=payload, dedup_key=dedup_key, community_id=community_id)
    session.add(message)
    await session.flush()
    return message


async def lease_due(session: AsyncSession, *, kinds: tuple[str, ...], limit: int = 20) -> list[Delivery]:
    """Lease due messages to this worker; a row is leased by one worker at a time (conditional update)."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.kind.in_(kinds))
        .where(or_(
            (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.leased_until < now),
        ))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    candidates = list(await session.scalars(due))
    leased: list[Delivery] = []
    for message_id in candidates:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .where(or_(OutboxMessage.status == OutboxStatus.PENDING,
                       (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.leased_until < now)))
            .values(status=OutboxStatus.SENDING, leased_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.attempts)
        )
        row = result.first()
        if row is not None:
            leased.append(Delivery(id=row.id, kind=row.kind, payload=row.payload, attempts=row.attempts))
    return leased


async def mark_sent(session: AsyncSession, *, message_id: int) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                          .values(status=OutboxStatus.SENT, sent_at=utcnow(), leased_until=None, last_error=""))


async def mark_failed(session: AsyncSession, *, message_id: int, attempts: int, error: str,
                      permanent: bool = False) -> OutboxStatus:
    """Schedule the next attempt with backoff, or give up after MAX_ATTEMPTS (or at once if permanent)."""
    dead = permanent or attempts >= MAX_ATTEMPTS
    status = OutboxStatus.DEAD if dead else OutboxStatus.PENDING
    delay = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status=status, leased_until=None, last_error=error[:2000],
        next_attempt_at=utcnow() + timedelta(seconds=delay)))
    return status


async def release(session: AsyncSession, *, message_id: int, until: datetime) -> None:
    """Hand a leased message back untouched (this worker does not deliver it), not due again before `until`."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status=OutboxStatus.PENDING, leased_until=None, attempts=OutboxMessage.attempts - 1, next_attempt_at=until))
