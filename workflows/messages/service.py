"""Recording and reading the message log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from workflows.clock import utcnow
from workflows.messages.models import MessageLog

# The columns a log entry may carry, with the value of each one it leaves out (the model's defaults).
LOG_COLUMNS: dict[str, Any] = {"openid": None, "direction": None, "content": "", "msg_type": "text",
                               "community_id": None, "wechat_msg_id": None, "channel": "wechat", "created_at": None}


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


async def write_log_batch(connection: AsyncConnection, *, entries: list[dict]) -> None:
    """The message-log writer's path (bot/transcript.py), on a connection of its own: on PostgreSQL one COPY, a
    statement that commits by itself (no BEGIN and COMMIT round trips; asyncpg encodes the rows, not SQLAlchemy's
    per-row parameter processing); elsewhere one executemany INSERT, committed here."""
    now = utcnow()
    rows = [{name: entry.get(name, default) for name, default in LOG_COLUMNS.items()} for entry in entries]
    for row in rows:
        row["created_at"] = row["created_at"] or now
    if connection.dialect.driver != "asyncpg":
        await connection.execute(insert(MessageLog.__table__), rows)
        await connection.commit()
        return
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        MessageLog.__tablename__, columns=list(LOG_COLUMNS), records=[tuple(row.values()) for row in rows])


async def recent_transcript(session: AsyncSession, *, openid: str, limit: int = 20) -> list[MessageLog]:
    """The owner's last messages both ways, oldest first."""
    rows = await session.scalars(select(MessageLog).where(MessageLog.openid == openid)
                                 .order_by(MessageLog.created_at.desc(), MessageLog.id.desc()).limit(limit))
    return list(reversed(list(rows)))
