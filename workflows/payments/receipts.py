"""Receipts (收据) as an owner asks for them in chat: their own only, rendered as the chat message, so the bot holds no
ORM row. Issuing receipts is workflows.payments.settle's job."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.payments.models import Receipt
from workflows.payments.settle import receipt_message


async def owner_receipt_text(session: AsyncSession, *, openid: str, number: str | None = None) -> str | None:
    """The owner's receipt `number` (their latest when None) as a chat message; None when they have no such one."""
    query = select(Receipt).where(Receipt.openid == openid).order_by(Receipt.id.desc()).limit(1)
    if number is not None:
        query = query.where(Receipt.number == number)
    receipt = await session.scalar(query)
    return receipt_message(receipt) if receipt is not None else None
