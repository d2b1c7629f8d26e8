"""Recording and reading the message log."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.messages.models import MessageLog


async def record_messages(session: AsyncSession, *, entries: list[dict]) -> None:
    """Store several log entries at once (the bot batches them off the hot path): one executemany INSERT, not the
    ORM's unit of work, which costs ~1 ms of event-loop time per row."""
    groups: dict[frozenset[str], list[dict]] = {}
    for entry in entries:  # an executemany needs the same keys in every row
        groups.setdefault(frozenset(entry), []).append(entry)
    for rows in groups.values():
        # Core insert: the ORM bulk path splits rows by which values are None (wechat_msg_id of replies), which turns
        # one executemany into a statement per row (~200 us each instead of ~15).
        await session.execute(insert(MessageLog.__table__), rows)


async def recent_transcript(session: AsyncSession, *, openid: str, limit: int = 20) -> list[MessageLog]:
    """The owner's last messages both ways, oldest first."""
    rows = await session.scalars(select(MessageLog).where(MessageLog.openid == openid)
                                 .order_by(MessageLog.created_at.desc(), MessageLog.id.desc()).limit(limit))
    return list(reversed(list(rows)))
