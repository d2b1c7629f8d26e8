"""Deduplication, per-owner order, the 5-second budget and state store outages, with the real Bot where it matters."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from bot.messages import Inbound, Reply
from bot.wechat import texts
from bot.wechat.api import WeChatApi
from bot.wechat.delivery import OutboxDelivery
from bot.wechat.intake import REPLAY_KIND, Intake
from bot.wechat.replay import Replayer
from tests.bot.owners import TinyAssistant, make_bot
from tests.bot.wechat.conftest import (
    RecordingResponder,
    api_settings,
    asgi_client,
    make_webhook_app,
    stored_counts,
    wechat_settings,
)
from tests.bot.wechat.wire import decrypt_reply, encrypted_request, inner_xml
from workflows.bindings.models import WechatBinding
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.runtime import Runtime
from workflows.statestore import StateStoreUnavailable


class CountingBot:
    """The real Bot, counting how often each message reached it."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.calls: list[str] = []

    async def respond(self, inbound: Inbound) -> Reply:
        self.calls.append(inbound.dedup_key)
        return await self.bot.respond(inbound)


async def _outbox(runtime: Runtime, kind: str | None = None) -> list[OutboxMessage]:
    async with runtime.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))


async def test_same_msgid_three_times_concurrently_binds_once(any_runtime):
    runtime = any_runtime
    bot = CountingBot(make_bot(runtime, assistant=TinyAssistant()))
    intake = Intake(runtime=runtime, bot=bot)
    openid = "o-dedup-owner"
    try:
        for n, line in enumerate(("绑定房屋", "1", "1", "1单元101", "张伟")):
            await intake.handle(Inbound(openid=openid, msg_type="text", content=line, msg_id=f"9000{n}"))
        final = Inbound(openid=openid, msg_type="text", content="1234", msg_id="90009")
        replies = await asyncio.gather(*(intake.handle(final) for _ in range(3)))
    finally:
        await bot.bot.transcript.stop()
    assert bot.calls.count("msg:90009") == 1
    assert "绑定成功：阳光花园 1栋1单元101" in replies[0]
    assert all(reply in (replies[0], "") for reply in replies) and replies.count(replies[0]) >= 1
    async with runtime.sessions() as session:
        bindings = await session.scalar(select(func.count()).select_from(WechatBinding)
                                        .where(WechatBinding.openid == openid))
    assert bindings == 1
    assert await intake.handle(final) == replies[0]  # a later retry gets the same answer, nothing runs


async def test_retry_while_the_first_is_still_running_gets_success_and_runs_nothing(runtime):
    responder = RecordingResponder(runtime, delay_s=0.3)
    intake = Intake(runtime=runtime, bot=responder, budget_s=1.0)
    message = Inbound(openid="o-r", msg_type="text", content="你好", msg_id="777")
    first = asyncio.create_task(intake.handle(message))
    await asyncio.sleep(0.02)
    intake.budget_s = 0.05  # the retry waits only briefly
    started = time.monotonic()
    assert await intake.handle(message) == ""
    assert time.monotonic() - started < 0.2
    assert await first == "收到：你好"
    assert len(responder.calls) == 1


async def test_slow_bot_answers_success_at_once_and_the_reply_is_delivered_once(tmp_path, sqlite_template,
                                                                              fake_wechat_api):
    settings = api_settings(wechat_settings(tmp_path, sqlite_template, wechat_reply_budget_s=0.2), fake_wechat_api)
    runtime = Runtime.from_settings(settings)
    responder = RecordingResponder(runtime, delay_s=0.6)
    app, intake = make_webhook_app(runtime, responder)
    delivery = OutboxDelivery(runtime, WeChatApi(settings, runtime.state))
    try:
        async with asgi_client(app) as client:
            params, body = encrypted_request(inner_xml("o-slow", content="物业电话多少", msg_id="4242"))
            started = time.monotonic()
            response = await client.post("/wechat", params=params, content=body)
            elapsed = time.monotonic() - started
            assert (response.status_code, response.text) == (200, "success") and elapsed < 0.5
            await intake.drain()
            retry = await client.post("/wechat", params=params, content=body)  # WeChat's retry
            assert retry.text == "success"
        rows = await _outbox(runtime, "wechat.text")
        assert [(r.payload, r.dedup_key) for r in rows] == [
            ({"openid": "o-slow", "text": "收到：物业电话多少"}, "late:msg:4242")]
        assert await delivery.run_once() == 1
        assert await delivery.run_once() == 0
    finally:
        await delivery.api.close()
        await runtime.close()
    assert fake_wechat_api.custom_sends == [
        {"touser": "o-slow", "msgtype": "text", "text": {"content": "收到：物业电话多少"}}]
    assert len(responder.calls) == 1


async def test_redis_outage_gets_an_honest_reply_and_the_message_is_replayed_later(tmp_path, sqlite_template,
                                                                                 fake_wechat_api):
    down = api_settings(wechat_settings(tmp_path, sqlite_template, redis_url="redis://127.0.0.1:1/0"),
                        fake_wechat_api)
    runtime = Runtime.from_settings(down)
    responder = RecordingResponder(runtime)
    app, _ = make_webhook_app(runtime, responder)
    try:
        async with asgi_client(app) as client:
            params, body = encrypted_request(inner_xml("o-outage", content="电梯坏了", msg_id="5151"))
            response = await client.post("/wechat", params=params, content=body)
            again = await client.post("/wechat", params=params, content=body)  # a retry queues nothing more
        assert response.status_code == 200 and texts.BUSY in decrypt_reply(response.text)
        assert again.status_code == 200
        replays = await _outbox(runtime, REPLAY_KIND)
        assert len(replays) == 1 and replays[0].payload["inbound"]["content"] == "电梯坏了"
        assert responder.calls == []
    finally:
        await runtime.close()

    back = Runtime.from_settings(down.model_copy(update={"redis_url": ""}))  # the store is back
    responder = RecordingResponder(back)
    delivery = OutboxDelivery(back, WeChatApi(back.settings, back.state))
    try:
        assert await Replayer(back, responder).run_once() == 1
        assert await Replayer(back, responder).run_once() == 0
        assert await delivery.run_once() == 1
        replay_row = (await _outbox(back, REPLAY_KIND))[0]
    finally:
        await delivery.api.close()
        await back.close()
    assert replay_row.status == OutboxStatus.SENT
    assert [c.content for c in responder.calls] == ["电梯坏了"]
    assert fake_wechat_api.custom_sends[0]["text"]["content"] == "收到：电梯坏了"


async def test_replay_waits_while_the_store_is_still_down(tmp_path, sqlite_template):
    down = wechat_settings(tmp_path, sqlite_template, redis_url="redis://127.0.0.1:1/0")
    runtime = Runtime.from_settings(down)
    responder = RecordingResponder(runtime)
    intake = Intake(runtime=runtime, bot=responder)
    try:
        assert await intake.handle(Inbound(openid="o-w", msg_type="text", content="在吗", msg_id="61")) == texts.BUSY
        assert await Replayer(runtime, responder).run_once() == 0
        row = (await _outbox(runtime, REPLAY_KIND))[0]
    finally:
        await runtime.close()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and "unavailable" in row.last_error
    assert responder.calls == []


async def test_store_failing_inside_the_bot_is_answered_honestly_and_queued(runtime):
    class Failing(RecordingResponder):
        async def respond(self, inbound):
            raise StateStoreUnavailable("connection reset")

    intake = Intake(runtime=runtime, bot=Failing(runtime))
    message = Inbound(openid="o-f", msg_type="text", content="报修", msg_id="62")
    assert await intake.handle(message) == texts.BUSY
    assert await intake.handle(message) == texts.BUSY  # the retry: same answer, nothing queued twice
    assert len(await _outbox(runtime, REPLAY_KIND)) == 1


async def test_a_crashing_bot_gets_an_apology_not_an_error(runtime):
    class Broken(RecordingResponder):
        async def respond(self, inbound):
            raise RuntimeError("bug")

    intake = Intake(runtime=runtime, bot=Broken(runtime))
    assert await intake.handle(Inbound(openid="o-b", msg_type="text", content="hi", msg_id="63")) == texts.SORRY
    assert (await stored_counts(runtime))["outbox"] == 0


async def test_a_request_that_goes_away_still_gets_its_reply_through_the_outbox(runtime):
    responder = RecordingResponder(runtime, delay_s=0.2)
    intake = Intake(runtime=runtime, bot=responder)
    request = asyncio.create_task(intake.handle(Inbound(openid="o-gone", msg_type="text", content="在吗",
                                                        msg_id="64")))
    await asyncio.sleep(0.05)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await intake.drain()
    rows = await _outbox(runtime, "wechat.text")
    assert [(r.payload["text"], r.dedup_key) for r in rows] == [("收到：在吗", "late:msg:64")]


async def test_same_message_three_times_during_an_outage_is_queued_once(tmp_path, sqlite_template):
    runtime = Runtime.from_settings(wechat_settings(tmp_path, sqlite_template, redis_url="redis://127.0.0.1:1/0"))
    intake = Intake(runtime=runtime, bot=RecordingResponder(runtime))
    message = Inbound(openid="o-3x", msg_type="text", content="停水了", msg_id="65")
    try:
        replies = await asyncio.gather(*(intake.handle(message) for _ in range(3)))
        queued = await _outbox(runtime, REPLAY_KIND)
    finally:
        await runtime.close()
    assert replies == [texts.BUSY] * 3 and len(queued) == 1


# --- the answer stored with the unlock (two Redis round trips a message) and the late path never both --------------


@pytest.fixture
async def redis_runtime(tmp_path, sqlite_template, redis_url, redis_prefix):
    runtime = Runtime.from_settings(wechat_settings(tmp_path, sqlite_template, redis_url=redis_url,
                                                    redis_prefix=redis_prefix))
    yield runtime
    await runtime.close()


async def test_an_answer_committed_with_the_unlock_is_given_passively_even_past_the_budget(redis_runtime,
                                                                                       monkeypatch):
    """The bot finished in time, but writing its answer and the unlock took past the budget: the request waits
    for that write and answers passively; nothing goes to the outbox, and a retry gets the same answer."""
    store = redis_runtime.state
    finish = store._finish_turn

    async def slow_finish(*args, **kwargs):
        await asyncio.sleep(0.3)
        await finish(*args, **kwargs)

    monkeypatch.setattr(store, "_finish_turn", slow_finish)
    intake = Intake(runtime=redis_runtime, bot=RecordingResponder(redis_runtime), budget_s=0.1)
    message = Inbound(openid="o-commit", msg_type="text", content="你好", msg_id="5151")
    assert await intake.handle(message) == "收到：你好"
    await intake.drain()
    assert await _outbox(redis_runtime, "wechat.text") == []
    monkeypatch.setattr(store, "_finish_turn", finish)
    assert await intake.handle(message) == "收到：你好"


async def test_a_late_answer_goes_through_the_outbox_only_and_retries_get_success(redis_runtime):
    intake = Intake(runtime=redis_runtime, bot=RecordingResponder(redis_runtime, delay_s=0.3), budget_s=0.05)
    message = Inbound(openid="o-late", msg_type="text", content="物业电话", msg_id="5252")
    assert await intake.handle(message) == ""
    await intake.drain()
    assert await intake.handle(message) == ""  # stored "" with the late reply: never the text a second time
    rows = await _outbox(redis_runtime, "wechat.text")
    assert [r.dedup_key for r in rows] == ["late:msg:5252"]


async def test_messages_of_one_owner_keep_their_order_and_state_through_the_pipelined_turns(redis_runtime):
    bot = CountingBot(make_bot(redis_runtime, assistant=TinyAssistant()))
    intake = Intake(runtime=redis_runtime, bot=bot)
    try:
        replies = [await intake.handle(Inbound(openid="o-pipe", msg_type="text", content=line, msg_id=f"53{n}"))
                   for n, line in enumerate(("绑定房屋", "1", "1", "1单元101", "张伟", "1234", "我的房屋"))]
    finally:
        await bot.bot.transcript.stop()
    assert "绑定成功" in replies[5] and "1栋1单元101" in replies[6]
