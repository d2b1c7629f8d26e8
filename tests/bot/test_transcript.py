"""The message log is written in batches off the hot path, completely, and flushed on stop."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.transcript import TranscriptWriter
from tests.bot.owners import Owner, make_bot
from workflows.messages.models import MessageLog
from workflows.messages.service import write_log_batch


async def count_logged(runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(MessageLog))


async def test_messages_are_queued_then_written_in_one_batch(runtime) -> None:
    bot = make_bot(runtime)
    owner = Owner(bot, "chat-log")
    await owner.say("帮助")
    await owner.say("绑定房屋")
    assert await count_logged(runtime) == 0  # nothing written on the hot path
    assert await bot.transcript.flush() == 4
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(MessageLog).order_by(MessageLog.id)))
    assert [(r.direction, r.channel) for r in rows] == [("in", "chat"), ("out", "chat")] * 2
    assert rows[0].content == "帮助" and "我可以帮您" in rows[1].content
    assert rows[0].community_id is not None


async def test_the_background_writer_flushes_on_its_interval_and_on_stop(runtime) -> None:
    writer = TranscriptWriter(runtime, interval_s=0.05)
    writer.start()
    writer.append(openid="chat-a", direction="in", content="你好", channel="chat")
    for _ in range(100):
        if await count_logged(runtime) == 1:
            break
        await asyncio.sleep(0.02)
    assert await count_logged(runtime) == 1
    writer.append(openid="chat-a", direction="out", content="您好", channel="chat")
    await writer.stop()
    assert await count_logged(runtime) == 2


async def test_a_full_batch_is_written_without_waiting_for_the_interval(runtime) -> None:
    writer = TranscriptWriter(runtime, interval_s=60, batch=10)
    for n in range(10):
        writer.append(openid="chat-b", direction="in", content=str(n))
    for _ in range(100):
        if writer.pending == 0 and await count_logged(runtime) == 10:
            break
        await asyncio.sleep(0.02)
    assert await count_logged(runtime) == 10
    await writer.stop()


async def test_entries_with_different_fields_are_all_recorded(runtime) -> None:
    from workflows.db import transaction
    from workflows.messages.service import record_messages

    async with transaction(runtime.sessions) as session:
        await record_messages(session, entries=[
            {"openid": "o", "direction": "in", "content": "a"},
            {"openid": "o", "direction": "out", "content": "b", "channel": "chat"},
            {"openid": "o", "direction": "in", "content": "c", "msg_type": "image"}])
    assert await count_logged(runtime) == 3


async def test_the_writer_logs_every_entry_on_both_databases_defaults_filled_in(any_runtime) -> None:
    """On PostgreSQL a batch is one COPY; entries that leave fields out get the model's defaults either way."""
    writer = TranscriptWriter(any_runtime, interval_s=60, batch=3)
    for n in range(7):
        writer.append(openid="log-both", direction="in" if n % 2 else "out", content=f"第{n}条", channel="chat",
                      wechat_msg_id=str(n) if n % 2 else None)
    assert await writer.flush() == 7  # three batches: 3 + 3 + 1
    async with any_runtime.engine.connect() as connection:
        await write_log_batch(connection, entries=[{"openid": "log-both", "direction": "in", "content": "简短"}])
    async with any_runtime.sessions() as session:
        rows = list(await session.scalars(select(MessageLog).where(MessageLog.openid == "log-both")
                                          .order_by(MessageLog.id)))
    assert [r.content for r in rows] == [f"第{n}条" for n in range(7)] + ["简短"]
    assert [r.wechat_msg_id for r in rows[:3]] == [None, "1", None]
    last = rows[-1]
    assert (last.msg_type, last.channel, last.community_id, last.wechat_msg_id) == ("text", "wechat", None, None)
    assert last.created_at.tzinfo is not None and all(r.created_at <= last.created_at for r in rows)
