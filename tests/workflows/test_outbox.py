"""The outbox: dedup keys store once, a due row is leased by one worker, failures back off, the last one is dead."""

import asyncio

from sqlalchemy import select

from workflows.db import transaction
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.outbox.service import MAX_ATTEMPTS, enqueue, lease_due, mark_failed, mark_sent


async def test_same_dedup_key_is_stored_once(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        first = await enqueue(session, kind="wechat.text", payload={"openid": "o1", "text": "hi"}, dedup_key="k1")
        second = await enqueue(session, kind="wechat.text", payload={"openid": "o1", "text": "hi"}, dedup_key="k1")
    assert first is not None and second is None
    async with any_runtime.sessions() as session:
        assert len(list(await session.scalars(select(OutboxMessage)))) == 1


async def test_concurrent_workers_lease_each_row_once(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        for i in range(10):
            await enqueue(session, kind="wechat.text", payload={"openid": f"o{i}", "text": "hi"})

    async def worker() -> list[int]:
        async with transaction(any_runtime.sessions) as session:
            return [d.id for d in await lease_due(session, kinds=("wechat.text",), limit=10)]

    leased = await asyncio.gather(worker(), worker(), worker())
    ids = [i for batch in leased for i in batch]
    assert len(ids) == 10 and len(set(ids)) == 10


async def test_failures_back_off_then_give_up(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        message = await enqueue(session, kind="wechat.text", payload={"openid": "o", "text": "hi"})
    status = await _fail(any_runtime, message.id, attempts=1)
    assert status == OutboxStatus.PENDING
    async with transaction(any_runtime.sessions) as session:
        assert await lease_due(session, kinds=("wechat.text",)) == []  # not due again until the backoff passes
    assert await _fail(any_runtime, message.id, attempts=MAX_ATTEMPTS) == OutboxStatus.DEAD


async def test_sent_rows_are_never_leased_again(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        await enqueue(session, kind="wechat.text", payload={"openid": "o", "text": "hi"})
    async with transaction(any_runtime.sessions) as session:
        [delivery] = await lease_due(session, kinds=("wechat.text",))
        await mark_sent(session, message_id=delivery.id)
    async with transaction(any_runtime.sessions) as session:
        assert await lease_due(session, kinds=("wechat.text",)) == []


async def _fail(runtime, message_id: int, attempts: int) -> OutboxStatus:
    async with transaction(runtime.sessions) as session:
        return await mark_failed(session, message_id=message_id, attempts=attempts, error="HTTP 500")


def test_quiet_hours_hold_a_message_until_they_end_and_a_typo_holds_nothing():
    from datetime import datetime

    from workflows.clock import SHANGHAI
    from workflows.outbox.quiet import quiet_until

    night = {"hours": "21:00-08:00", "tz": "Asia/Shanghai"}
    assert quiet_until(night, datetime(2026, 12, 7, 22, 30, tzinfo=SHANGHAI)) == \
        datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(night, datetime(2026, 12, 8, 7, 59, tzinfo=SHANGHAI)) == \
        datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(night, datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)) is None
    assert quiet_until(night, datetime(2026, 12, 8, 20, 59, tzinfo=SHANGHAI)) is None
    for typo in ({"hours": "晚上"}, {"hours": "21:00-08:00", "tz": "Mars/Olympus"}, "21:00-08:00", None):
        assert quiet_until(typo, datetime(2026, 12, 7, 23, 0, tzinfo=SHANGHAI)) is None
