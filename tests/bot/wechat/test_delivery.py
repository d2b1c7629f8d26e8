"""Outbox delivery to the fake WeChat API: sent once, retried with backoff, dead on permanent errors."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.wechat.api import WeChatApi
from bot.wechat.delivery import OutboxDelivery
from tests.bot.wechat.conftest import api_settings
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.outbox.service import enqueue
from workflows.runtime import Runtime


async def _queue(runtime: Runtime, kind: str, payload: dict) -> int:
    async with transaction(runtime.sessions) as session:
        return (await enqueue(session, kind=kind, payload=payload)).id


async def _row(runtime: Runtime, row_id: int) -> OutboxMessage:
    async with runtime.sessions() as session:
        return await session.scalar(select(OutboxMessage).where(OutboxMessage.id == row_id))


async def _make_due(runtime: Runtime, row_id: int) -> None:
    async with transaction(runtime.sessions) as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                              .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def _delivery(settings, fake):
    runtime = Runtime.from_settings(api_settings(settings, fake))
    return runtime, OutboxDelivery(runtime, WeChatApi(runtime.settings, runtime.state))


async def test_text_is_sent_once_even_when_the_loop_runs_again(wsettings, fake_wechat_api):
    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    try:
        row_id = await _queue(runtime, "wechat.text", {"openid": "o1", "text": "您的报修已受理"})
        assert await delivery.run_once() == 1
        assert await delivery.run_once() == 0
        row = await _row(runtime, row_id)
    finally:
        await delivery.api.close()
        await runtime.close()
    assert fake_wechat_api.custom_sends == [{"touser": "o1", "msgtype": "text", "text": {"content": "您的报修已受理"}}]
    assert row.status == OutboxStatus.SENT and row.sent_at is not None


async def test_server_errors_are_retried_with_backoff_then_sent_once(wsettings, fake_wechat_api):
    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    fake_wechat_api.fail_http(2)  # the token fetch and the first send each get HTTP 500
    try:
        row_id = await _queue(runtime, "wechat.text", {"openid": "o1", "text": "稍后回复"})
        assert await delivery.run_once() == 0  # token: 500
        failed = await _row(runtime, row_id)
        assert failed.status == OutboxStatus.PENDING and failed.next_attempt_at > utcnow()
        assert await delivery.run_once() == 0  # not due yet: backoff respected
        await _make_due(runtime, row_id)
        assert await delivery.run_once() == 0  # send: 500
        await _make_due(runtime, row_id)
        assert await delivery.run_once() == 1
        row = await _row(runtime, row_id)
    finally:
        await delivery.api.close()
        await runtime.close()
    assert row.status == OutboxStatus.SENT and row.attempts == 3
    assert len(fake_wechat_api.custom_sends) == 1


async def test_closed_48_hour_window_marks_the_row_dead_at_once(wsettings, fake_wechat_api):
    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    fake_wechat_api.closed_window.add("o-old")
    try:
        row_id = await _queue(runtime, "wechat.text", {"openid": "o-old", "text": "你好"})
        await delivery.run_once()
        row = await _row(runtime, row_id)
    finally:
        await delivery.api.close()
        await runtime.close()
    assert row.status == OutboxStatus.DEAD and "45015" in row.last_error and fake_wechat_api.custom_sends == []


async def test_template_uses_configured_id_else_falls_back_to_text(wsettings, fake_wechat_api):
    settings = wsettings.model_copy(update={"wechat_template_ids": {"repair_done": "TPL-REPAIR-DONE"}})
    runtime, delivery = await _delivery(settings, fake_wechat_api)
    try:
        await _queue(runtime, "wechat.template", {"openid": "o1", "template": "repair_done", "text": "维修完成",
                                                  "data": {"first": "维修完成", "keyword1": "BX-20261124-0007"}})
        await _queue(runtime, "wechat.template", {"openid": "o2", "template": "service_reply", "text": "客服回复"})
        assert await delivery.run_once() == 2
    finally:
        await delivery.api.close()
        await runtime.close()
    assert fake_wechat_api.template_sends[0]["template_id"] == "TPL-REPAIR-DONE"
    assert fake_wechat_api.template_sends[0]["data"]["keyword1"] == {"value": "BX-20261124-0007"}
    assert fake_wechat_api.custom_sends[0]["text"]["content"] == "客服回复"


async def test_rows_for_linli_chat_owners_are_left_pending_for_the_chat(wsettings, fake_wechat_api):
    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    try:
        row_id = await _queue(runtime, "wechat.text", {"openid": "chat-demo-owner", "text": "客服回复"})
        assert await delivery.run_once() == 0
        row = await _row(runtime, row_id)
        assert await delivery.run_once() == 0
    finally:
        await delivery.api.close()
        await runtime.close()
    assert row.status == OutboxStatus.PENDING and row.attempts == 0 and fake_wechat_api.custom_sends == []


async def test_without_an_app_secret_messages_wait_untouched(wsettings, fake_wechat_api):
    unconfigured = api_settings(wsettings, fake_wechat_api).model_copy(update={"wechat_app_secret": ""})
    runtime = Runtime.from_settings(unconfigured)
    delivery = OutboxDelivery(runtime, WeChatApi(runtime.settings, runtime.state))
    try:
        row_id = await _queue(runtime, "wechat.text", {"openid": "o1", "text": "您的报修已受理"})
        assert await delivery.run_once() == 0
        row = await _row(runtime, row_id)
    finally:
        await delivery.api.close()
        await runtime.close()
    assert fake_wechat_api.token_fetches == 0 and fake_wechat_api.custom_sends == []
    assert row.status == OutboxStatus.PENDING and row.attempts == 0


async def test_a_visitor_pass_qr_is_uploaded_as_media_and_sent_as_an_image(wsettings, fake_wechat_api):
    from pathlib import Path

    from bot.qr import save_pass_qr

    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    try:
        path = save_pass_qr(runtime.settings.media_dir, number="FK-20261207-0001", token="LP1.1.2.3.nonce.mac")
        assert (Path(runtime.settings.media_dir) / path).read_bytes().startswith(b"\x89PNG")
        row_id = await _queue(runtime, "wechat.image", {"openid": "o-visitor-host", "path": path})
        missing = await _queue(runtime, "wechat.image", {"openid": "o1", "path": "passes/none.png"})
        escape = await _queue(runtime, "wechat.image", {"openid": "o1", "path": "../../etc/passwd"})
        assert await delivery.run_once() == 1
        [(media_id, (data, _))] = fake_wechat_api.uploads.items()
        assert data.startswith(b"\x89PNG")
        assert fake_wechat_api.custom_sends[-1] == {"touser": "o-visitor-host", "msgtype": "image",
                                                    "image": {"media_id": media_id}}
        assert (await _row(runtime, row_id)).status == OutboxStatus.SENT
        for dead in (missing, escape):  # a missing file is permanent; nothing outside the media folder is read
            assert (await _row(runtime, dead)).status == OutboxStatus.DEAD
    finally:
        await delivery.api.close()
        await runtime.close()


async def test_a_message_with_quiet_hours_waits_until_they_are_over(wsettings, fake_wechat_api):
    """A 催缴 reminder retried into the night is held, untouched, until the quiet hours end; then sent once."""
    now = utcnow()
    around_now = {"hours": f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}", "tz": "UTC"}
    elsewhere = {"hours": f"{(now + timedelta(hours=2)):%H:%M}-{(now + timedelta(hours=3)):%H:%M}", "tz": "UTC"}
    runtime, delivery = await _delivery(wsettings, fake_wechat_api)
    try:
        held_id = await _queue(runtime, "wechat.text", {"openid": "o1", "text": "缴费提醒", "quiet": around_now})
        sent_id = await _queue(runtime, "wechat.text", {"openid": "o2", "text": "缴费提醒", "quiet": elsewhere})
        assert await delivery.run_once() == 1
        held, sent = await _row(runtime, held_id), await _row(runtime, sent_id)
        assert held.status == OutboxStatus.PENDING and held.attempts == 0
        assert timedelta(minutes=55) < held.next_attempt_at - now < timedelta(minutes=62)
        assert sent.status == OutboxStatus.SENT
        await _make_due(runtime, held_id)  # the quiet hours are still on: held again
        assert await delivery.run_once() == 0
    finally:
        await delivery.api.close()
        await runtime.close()
    assert [send["touser"] for send in fake_wechat_api.custom_sends] == ["o2"]
