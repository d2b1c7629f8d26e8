"""After submitting: 我的报修, a ticket number typed in chat, 评价/重修 after the "done" message, and technicians
accepting and finishing from WeChat."""

from __future__ import annotations

from sqlalchemy import select

from tests.bot.owners import Owner
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage
from workflows.repairs.models import RepairStatus, RepairTicket
from workflows.staff.models import StaffUser


async def submit_leak(owner: Owner) -> str:
    """A bound owner's leak, submitted (their phone is known: no phone step); returns the ticket number."""
    for line in ("报修", "1", "1", "厨房水龙头一直滴水", "跳过"):
        await owner.say(line)
    assert "请确认报修信息" in await owner.say("随时")
    reply = await owner.say("1")
    return reply.split("单号 ", 1)[1][:16]


async def bind_staff_wechat(runtime, username: str, openid: str) -> None:
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        staff.wechat_openid = openid


async def ticket(runtime, number: str) -> RepairTicket:
    async with runtime.sessions() as session:
        return await session.scalar(select(RepairTicket).where(RepairTicket.number == number))


async def test_my_repairs_lists_status_technician_and_expected_time(owner: Owner) -> None:
    await owner.bind_demo_flat()
    assert "还没有报修记录" in await owner.say("我的报修")
    number = await submit_leak(owner)
    listing = await owner.say("我的报修")
    assert number in listing and "已派单" in listing and "王师傅" in listing and "预计" in listing


async def test_the_preferred_time_is_shown_in_local_time(owner: Owner) -> None:
    await owner.bind_demo_flat()
    for line in ("报修", "1", "1", "厨房水龙头一直滴水", "跳过", "明天下午"):
        await owner.say(line)
    assert "已提交报修" in await owner.say("1")
    assert "14:00–18:00" in await owner.say("我的报修")


async def test_a_number_typed_in_chat_shows_the_ticket_only_to_its_owner(owner: Owner, bot) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    detail = await owner.say(number.lower().replace("-", ""))
    assert number in detail and "状态：已派单" in detail and "厨房水龙头" in detail
    stranger = Owner(bot, openid="chat-stranger")
    assert "没有找到" in await stranger.say(number)


async def test_technicians_accept_and_finish_in_wechat_and_the_owner_rates(owner: Owner, bot, runtime) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    await bind_staff_wechat(runtime, "wang.shifu", "o-wang")
    await bind_staff_wechat(runtime, "chen.shifu", "o-chen")
    wang, chen = Owner(bot, openid="o-wang"), Owner(bot, openid="o-chen")
    assert f"{number} 已接单" in await wang.say(f"接单 {number}")
    assert "已被其他师傅接单" in await chen.say(f"接单 {number}")
    assert "已出发上门" in await wang.say(f"出发 {number}")
    assert "已完工" in await wang.say(f"完工 {number}")
    async with runtime.sessions() as session:
        told = [m.payload["text"] for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                if m.payload.get("openid") == owner.openid]
    assert len(told) == 3 and f"评价 {number} 5" in told[-1]
    assert "谢谢您的评价" in await owner.say(f"评价 {number} 5 师傅很细心")
    done = await ticket(runtime, number)
    assert (done.status, done.rating, done.rating_comment) == (RepairStatus.RATED, 5, "师傅很细心")


async def test_rating_step_by_step_and_reopening(owner: Owner, bot, runtime) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    assert "修好后才能评价" in await owner.say(f"评价 {number}")
    await bind_staff_wechat(runtime, "wang.shifu", "o-wang")
    wang = Owner(bot, openid="o-wang")
    for command in ("接单", "出发", "完工"):
        await wang.say(f"{command} {number}")
    assert "还在处理中" not in await owner.say(f"重修 {number}")
    reopened = await ticket(runtime, number)
    assert reopened.status == RepairStatus.DISPATCHED and reopened.reopen_count == 1
    for command in ("接单", "出发", "完工"):
        await wang.say(f"{command} {number}")
    assert "打分" in await owner.say(f"评价 {number}")
    assert "还有什么想说" in await owner.say("4")
    assert "谢谢您的评价" in await owner.say("跳过")
    assert (await ticket(runtime, number)).rating == 4


async def test_an_owner_cannot_use_the_technician_commands(owner: Owner) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    assert "工作人员" in await owner.say(f"接单 {number}")


async def test_a_command_word_in_a_sentence_is_not_taken_as_a_command(owner: Owner) -> None:
    reply = await owner.say("满意度调查在哪里填")
    assert "单号" not in reply  # a question that contains a command word is a question


async def test_a_technician_adds_photos_to_an_order_from_wechat(owner: Owner, bot, runtime) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    await bind_staff_wechat(runtime, "wang.shifu", "o-wang")
    wang = Owner(bot, openid="o-wang")
    assert "请发送工单照片" in await wang.say(f"工单照片 {number}")
    assert "收到第 1 个" in await wang.send("image", media_id="m-before")
    assert "收到第 2 个" in await wang.send("image", media_id="m-after")
    assert "说明" in await wang.say("好了")
    assert f"已把 2 张照片加到 {number}" in await wang.say("换了新阀芯")
    assert len((await ticket(runtime, number)).photos) == 2
