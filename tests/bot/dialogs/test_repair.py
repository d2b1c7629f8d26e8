"""报修 in chat, as an owner types it: the whole dialog, duplicates, and every bad input of issue 5."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.dialogs import repair_texts
from bot.messages import Inbound
from bot.services import MediaUnavailable
from tests.bot.owners import Owner
from workflows.repairs.models import DuplicatePrevented, RepairStatus, RepairTicket


async def tickets(runtime) -> list[RepairTicket]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(RepairTicket).order_by(RepairTicket.id)))


async def report_leak(owner: Owner, *, description: str = "厨房水龙头一直滴水") -> str:
    """报修 → my flat → 水电 → description → one photo → 明天上午; the bound owner's phone is known, so no phone step:
    returns the summary."""
    assert "1栋1单元101" in await owner.say("报修")
    assert "水电" in await owner.say("1")
    assert "描述" in await owner.say("1")
    assert "照片" in await owner.say(description)
    assert "收到第 1 个" in await owner.send("image", media_id="m1", pic_url="http://127.0.0.1/p.jpg")
    assert "什么时候" in await owner.say("好了")
    summary = await owner.say("明天上午")
    assert "请确认报修信息" in summary and "联系电话：13800001234" in summary
    return summary


async def test_owner_reports_a_leak_and_gets_a_sayable_number(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    summary = await report_leak(owner)
    assert "请确认报修信息" in summary and "1栋1单元101" in summary and "照片：1 张" in summary
    reply = await owner.say("1")
    assert "已提交报修，单号 BX-" in reply and "王师傅" in reply and "不用再催" in reply
    [ticket] = await tickets(runtime)
    assert ticket.number in reply
    assert (ticket.category, ticket.contact_phone, ticket.photos) == ("水电", "13800001234", ["photos/1.jpg"])
    assert ticket.household_id is not None and ticket.preferred_from is not None
    assert ticket.status == RepairStatus.DISPATCHED


async def test_a_second_report_of_the_same_problem_is_added_to_the_open_ticket(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await report_leak(owner)
    first = await owner.say("1")
    [ticket] = await tickets(runtime)
    await owner.say("报修")
    await owner.say("1")
    question = await owner.say("1")  # the open ticket is offered as soon as category and place are known
    assert ticket.number in question and "1. 跟进已有工单" in question and "2. 仍然新建" in question
    assert "描述" in await owner.say("1")  # nothing said about the problem yet: asked once
    reply = await owner.say("水越滴越多了")  # following: no photos, visit time, phone or confirmation to ask
    assert f"已为您跟进工单 {ticket.number}" in reply and "补充的情况" in reply and first
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(DuplicatePrevented.id))) == 1
    assert len(await tickets(runtime)) == 1


async def test_the_owner_may_still_create_a_new_ticket_and_it_is_counted(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await report_leak(owner)
    await owner.say("1")
    await owner.say("报修")
    await owner.say("1")
    await owner.say("1")
    assert "描述" in await owner.say("2")  # 仍然新建
    await owner.say("卫生间也在滴水")
    await owner.say("好了")
    assert "请确认报修信息" in await owner.say("明天上午")
    assert "已提交报修" in await owner.say("1")
    first, second = await tickets(runtime)
    assert second.duplicate_of_id == first.id


async def test_a_bound_owner_with_a_known_phone_is_never_asked_for_one(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    replies = [await owner.say(line) for line in ("报修", "1", "1", "厨房水龙头一直滴水", "跳过", "明天上午")]
    assert not any(repair_texts.REPAIR_PHONE in reply or "手机号" in reply for reply in replies)
    assert "请确认报修信息" in replies[-1] and "联系电话：13800001234" in replies[-1]
    assert "已提交报修" in await owner.say("1")
    [ticket] = await tickets(runtime)
    assert ticket.contact_phone == "13800001234"


async def test_the_phone_changed_at_the_confirmation_is_the_one_filed(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await report_leak(owner)
    asked = await owner.change("联系电话")  # 修改 → 联系电话: the phone step, the known one offered
    assert repair_texts.REPAIR_PHONE in asked and "1. 用 138****1234" in asked
    assert repair_texts.REPAIR_PHONE_OR_NEW in asked  # a new number may simply be typed
    summary = await owner.say("139 1234 5678")
    assert "请确认报修信息" in summary and "联系电话：13912345678" in summary and "照片：1 张" in summary
    assert "已提交报修" in await owner.say("1")
    [ticket] = await tickets(runtime)
    assert (ticket.contact_phone, ticket.photos) == ("13912345678", ["photos/1.jpg"])


async def test_an_owner_with_no_known_phone_is_asked_for_one(bot, runtime) -> None:
    stranger = Owner(bot, openid="chat-not-bound")  # not bound: no phone known, only a public area to choose
    for line in ("报修", "1", "3栋2单元电梯", "电梯门关不上"):
        await stranger.say(line)
    asked = await stranger.say("没有照片")
    assert repair_texts.REPAIR_PHONE_ASK in asked and "请确认" not in asked
    assert "手机号" in await stranger.say("不用了")
    assert "联系电话：13912345678" in await stranger.say("13912345678")
    assert "已提交报修" in await stranger.say("1")
    [ticket] = await tickets(runtime)
    assert ticket.contact_phone == "13912345678" and ticket.public_area


async def test_a_5000_character_description_is_kept_short_and_the_owner_is_told(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    summary = await report_leak(owner, description="漏" * 5000)
    assert "已保留前 500 字" in summary
    await owner.say("1")
    [ticket] = await tickets(runtime)
    assert len(ticket.description) == 500


async def test_an_emoji_only_description_is_asked_again_with_an_example(owner: Owner) -> None:
    await owner.bind_demo_flat()
    for line in ("报修", "1", "1"):
        await owner.say(line)
    reply = await owner.say("😭😭💧")
    assert "哪里坏了" in reply and "例如：厨房水龙头一直滴水" in reply
    assert "照片" in await owner.say("水管漏水")


async def test_a_photo_that_fails_to_download_is_told_and_the_dialog_goes_on(owner: Owner, bot, runtime) -> None:
    class BrokenMedia:
        async def store(self, inbound: Inbound) -> str:
            raise MediaUnavailable("WeChat media API answered 40007")

    bot.services.media = BrokenMedia()
    await owner.bind_demo_flat()
    for line in ("报修", "1", "1", "水管漏水"):
        await owner.say(line)
    reply = await owner.send("image", media_id="gone")
    assert "这张照片没有收到" in reply
    assert "什么时候" in await owner.say("好了")
    assert "照片：0 张" in await owner.say("随时")
    assert "已提交报修" in await owner.say("1")
    [ticket] = await tickets(runtime)
    assert ticket.photos == []


async def test_a_location_outside_the_community_is_explained(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await owner.say("报修")
    assert "微信位置" in await owner.say("2")  # 公共区域: which building, or a place, or a WeChat location
    reply = await owner.location(31.30, 121.60)  # about 10 km away
    assert "不在小区范围内" in reply and "阳光花园" in reply and "公里" in reply and "." not in reply.split("约")[1][:4]
    assert "哪一类" in await owner.location(31.2210, 121.5442)  # inside: accepted
    assert "描述" in await owner.say("公共设施")
    await owner.say("路灯不亮")
    assert "请确认" in await owner.say("跳过")  # a public area asks no visit time, and the phone is known
    await owner.say("1")
    [ticket] = await tickets(runtime)
    assert ticket.public_area and ticket.latitude == 31.2210 and ticket.household_id is None
    assert ticket.contact_phone == "13800001234"


async def test_a_time_window_in_the_past_is_explained(owner: Owner) -> None:
    await owner.bind_demo_flat()
    for line in ("报修", "1", "1", "水管漏水", "跳过"):
        await owner.say(line)
    assert "已经过去了" in await owner.say("昨天下午")
    summary = await owner.say("明天下午")
    assert "请确认报修信息" in summary and "联系电话：13800001234" in summary


async def test_the_same_confirmation_delivered_twice_creates_one_ticket(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await report_leak(owner)
    replies = await asyncio.gather(owner.say("1"), owner.say("1"))
    assert any("已提交报修" in reply for reply in replies)
    assert len(await tickets(runtime)) == 1


async def test_report_with_words_after_the_trigger_skips_known_slots(owner: Owner) -> None:
    await owner.bind_demo_flat()
    reply = await owner.say("报修 马桶堵了")
    assert "照片" in reply  # 管道疏通, the owner's one home and the description came from the words


async def test_a_voice_message_describes_the_problem_with_its_recognition(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    for line in ("报修", "1", "1"):
        await owner.say(line)
    assert "照片" in await owner.send("voice", media_id="v1", content="卫生间的水管一直在漏水")
    await owner.say("跳过")
    assert "请确认报修信息" in await owner.say("随时")
    assert "已提交报修" in await owner.say("1")
    [ticket] = await tickets(runtime)
    assert ticket.description == "卫生间的水管一直在漏水" and ticket.priority.value == "urgent"
