"""访客登记 and 我的访客 in chat: the pass with its backup code and a QR image through the outbox, free text filling
several slots, plates validated, and cancelling a pass."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from linli.chat import deliver_chat_messages
from tests.bot.owners import Guess, Owner
from workflows.outbox.models import OutboxMessage
from workflows.visitors.models import PassStatus, VisitorPass


async def passes_of(runtime) -> list[VisitorPass]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(VisitorPass).order_by(VisitorPass.id)))


async def test_an_owner_registers_a_visitor_and_gets_a_code_and_a_qr_image(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    assert "怎么称呼" in await owner.say("访客")
    assert "什么时候" in await owner.say("王芳")
    assert "几位" in await owner.say("明天下午3点到5点")
    assert "车牌" in await owner.say("2")
    assert "车牌号格式不对" in await owner.say("沪A1234")
    assert "手机" in await owner.say("沪AD12345")
    assert "几次" in await owner.say("跳过")
    summary = await owner.say("1")
    assert "王芳（2 人）" in summary and "沪AD12345" in summary and "15:00–17:00" in summary
    reply = await owner.say("1")
    [visitor_pass] = await passes_of(runtime)
    assert visitor_pass.number in reply and "备用码" in reply and "免费停车" in reply
    code = reply.split("门岗备用码：")[1][:8]
    assert code.isdigit() and code not in visitor_pass.code_hash
    assert visitor_pass.max_uses == 1 and visitor_pass.plate == "沪AD12345" and visitor_pass.people == 2
    async with runtime.sessions() as session:
        [image] = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "wechat.image")))
    png = Path(runtime.settings.media_dir) / image.payload["path"]
    assert png.read_bytes().startswith(b"\x89PNG") and image.payload["openid"] == owner.openid
    lines = await deliver_chat_messages(runtime, owner.openid)  # what `linli chat` prints
    assert any(line.startswith("[图片] 二维码已保存：") and line.endswith(".png") for line in lines)


async def test_free_text_fills_the_time_and_the_plate(owner: Owner, runtime, assistant) -> None:
    await owner.bind_demo_flat()
    sentence = "明天下午三点朋友来，车牌沪A12345"
    assistant.routes[sentence] = Guess(intent="visitor", confidence=0.9)
    assert "怎么称呼" in await owner.say(sentence)
    assert "几位" in await owner.say("老同学李雷")  # the time is known already
    assert "手机" in await owner.say("1")  # and so is the plate
    await owner.say("跳过")
    summary = await owner.say("2")
    assert "15:00–17:00" in summary and "沪A12345" in summary and "不限次数" in summary


async def test_a_message_starting_with_the_trigger_reads_the_rest(owner: Owner) -> None:
    await owner.bind_demo_flat()
    reply = await owner.say("访客 后天上午 3位 车牌京BD12345")
    assert "怎么称呼" in reply
    assert "手机" in await owner.say("张三")  # time, people and plate were all given


async def test_an_unbound_owner_is_invited_to_bind_first(owner: Owner) -> None:
    assert "绑定" in await owner.say("访客")


async def test_a_window_in_the_past_is_explained(owner: Owner) -> None:
    await owner.bind_demo_flat()
    await owner.say("访客")
    await owner.say("王芳")
    assert "已经过去" in await owner.say("昨天下午")


async def test_my_visitors_lists_and_cancels_a_pass(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    assert "没有有效的访客通行证" in await owner.say("我的访客")
    for line in ("访客", "王芳", "明天上午", "1", "跳过", "跳过", "1", "1"):
        await owner.say(line)
    listing = await owner.say("我的访客")
    assert "王芳" in listing and "1." in listing
    assert "确定取消" in await owner.say("1")
    assert "已取消" in await owner.say("1")
    [visitor_pass] = await passes_of(runtime)
    assert visitor_pass.status == PassStatus.REVOKED
