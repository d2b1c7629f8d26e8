"""绑定房屋 and 我的房屋 through the Bot, as an owner types them."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.messages import Inbound
from tests.bot.owners import Owner, make_bot
from workflows.audit.models import AuditEvent
from workflows.bindings.models import BindingRequest, WechatBinding
from workflows.community.models import Building, Household, Resident
from workflows.db import transaction


async def bindings_of(runtime, openid: str) -> list[WechatBinding]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(WechatBinding).where(WechatBinding.openid == openid)))


async def test_owner_binds_the_demo_flat_and_sees_it_under_my_households(owner: Owner, runtime) -> None:
    assert "阳光花园" in await owner.say("绑定房屋")
    assert "1栋" in await owner.say("1")
    assert "房号" in await owner.say("1")
    assert "姓名" in await owner.say("1单元101")
    assert "后四位" in await owner.say("张伟")
    assert "绑定成功：阳光花园 1栋1单元101" in await owner.say("1234")
    assert len(await bindings_of(runtime, owner.openid)) == 1
    listing = await owner.say("我的房屋")
    assert "1. 阳光花园 1栋1单元101（张伟）" in listing
    async with runtime.sessions() as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "binding")))
    assert "bind" in actions


async def test_building_and_room_accept_the_ways_owners_type_them(owner: Owner) -> None:
    await owner.say("绑房")
    await owner.say("阳光花园")
    assert "房号" in await owner.say("一号楼")
    assert "姓名" in await owner.say("１单元１０１室")


async def test_full_width_digit_and_words_pick_numbered_choices(owner: Owner) -> None:
    await owner.say("绑定")
    reply = await owner.say("第二个")  # 翠湖苑
    assert "1栋" in reply and "6栋" not in reply
    assert "房号" in await owner.say("２")


async def test_unknown_room_is_explained_with_the_example(owner: Owner) -> None:
    for line in ("绑定房屋", "1", "1"):
        await owner.say(line)
    reply = await owner.say("9单元999")
    assert "没有找到这个房号" in reply and "例如：1单元101" in reply


async def test_a_room_number_alone_works_when_unambiguous_else_the_unit_is_asked(owner: Owner, runtime) -> None:
    for line in ("绑定房屋", "1", "1"):
        await owner.say(line)
    assert "姓名" in await owner.say("101")  # the demo has only 1单元101 in 1栋
    async with transaction(runtime.sessions) as session:
        first = await session.scalar(select(Household).where(Household.room == "1单元101"))
        session.add(Household(community_id=first.community_id, building_id=first.building_id, room="2单元101"))
    await owner.say("返回")
    reply = await owner.say("101")
    assert "请加上单元" in reply and "例如：1单元101" in reply


async def test_a_mismatch_files_a_binding_request_with_a_sayable_reference(owner: Owner, runtime) -> None:
    for line in ("绑定房屋", "1", "1", "1单元101", "李雷"):
        await owner.say(line)
    reply = await owner.say("9999")
    assert "绑定申请" in reply and "SQ-" in reply
    assert await bindings_of(runtime, owner.openid) == []
    async with runtime.sessions() as session:
        request = await session.scalar(select(BindingRequest).where(BindingRequest.openid == owner.openid))
    assert request is not None and request.name == "李雷" and request.status == "pending"
    assert f"SQ-{request.id:06d}" in reply


async def test_verification_is_limited_to_five_failures_a_day(owner: Owner, runtime) -> None:
    for attempt in range(5):
        for line in ("绑定房屋", "1", "1", "1单元101", "王五"):
            await owner.say(line)
        assert "绑定申请" in await owner.say(f"{attempt:04d}")
    for line in ("绑定房屋", "1", "1", "1单元101", "张伟"):
        await owner.say(line)
    assert "次数太多" in await owner.say("1234")  # even the right answer: nobody enumerates the roster
    assert await bindings_of(runtime, owner.openid) == []


async def test_binding_twice_is_harmless_and_one_openid_binds_several_households(owner: Owner, runtime) -> None:
    assert "绑定成功" in await owner.bind_demo_flat()
    assert "不用重复绑定" in await owner.bind_demo_flat()
    async with runtime.sessions() as session:
        row = (await session.execute(select(WechatBinding.household_id))).first()
        other = await session.scalar(select(Resident).join(Household).where(
            Household.room == "2单元302", Resident.community_id == 1).limit(1))
        building = (await session.get(Household, other.household_id)).building_id
        building_name = (await session.get(Building, building)).name
    assert row is not None
    for line in ("绑定房屋", "1", building_name, "2单元302", other.name):
        await owner.say(line)
    assert "绑定成功" in await owner.say(other.phone[-4:])
    listing = await owner.say("我的房屋")
    assert "1." in listing and "2." in listing
    assert len(await bindings_of(runtime, owner.openid)) == 2


async def test_unbinding_by_number_after_confirmation(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    await owner.say("我的房屋")
    assert "确认解绑 阳光花园 1栋1单元101" in await owner.say("1")
    assert "已解绑" in await owner.say("1")
    assert await bindings_of(runtime, owner.openid) == []
    assert "还没有绑定房屋" in await owner.say("我的房屋")


async def test_unbind_n_in_one_message(owner: Owner, runtime) -> None:
    await owner.bind_demo_flat()
    assert "确认解绑" in await owner.say("解绑 1")
    assert "已解绑" in await owner.say("确认")
    assert await bindings_of(runtime, owner.openid) == []


async def test_after_the_list_another_request_is_routed_normally(owner: Owner) -> None:
    await owner.bind_demo_flat()
    await owner.say("我的房屋")
    assert "我可以帮您" in await owner.say("帮助")
    assert (await owner.conversation())["dialog"] is None


async def test_owners_see_and_unbind_only_their_own_households(runtime) -> None:
    bot = make_bot(runtime)
    zhang, other = Owner(bot, "chat-zhang"), Owner(bot, "chat-other")
    await zhang.bind_demo_flat()
    assert "还没有绑定房屋" in await other.say("我的房屋")
    assert "还没有绑定房屋" in await other.say("解绑 1")
    assert len(await bindings_of(runtime, "chat-zhang")) == 1
    await bot.transcript.stop()


async def test_bind_and_unbind_on_postgres_and_redis_too(any_runtime) -> None:
    bot = make_bot(any_runtime)
    owner = Owner(bot, "chat-any-runtime")
    assert "绑定成功" in await owner.bind_demo_flat()
    assert "阳光花园 1栋1单元101" in await owner.say("我的房屋")
    await owner.say("1")
    assert "已解绑" in await owner.say("1")
    for line in ("绑定房屋", "1", "1", "1单元101", "韩梅梅"):
        await owner.say(line)
    assert "SQ-" in await owner.say("0000")
    await bot.transcript.stop()
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BindingRequest)) == 1
    assert (await bot.respond(Inbound(openid="chat-any-runtime", msg_type="text", content="你好"))).text


async def test_with_one_community_nobody_is_asked_to_choose_it(owner: Owner, monkeypatch) -> None:
    from bot import directory

    real = directory.communities

    async def only_the_first(runtime):
        return (await real(runtime))[:1]

    monkeypatch.setattr(directory, "communities", only_the_first)
    assert "楼栋" in await owner.say("绑定房屋")


async def test_with_no_community_yet_binding_ends_with_a_clear_answer(owner: Owner, monkeypatch) -> None:
    from bot import directory, texts

    async def none(runtime):
        return []

    monkeypatch.setattr(directory, "communities", none)
    assert await owner.say("绑定房屋") == texts.BIND_NO_COMMUNITY
    assert "房号" not in await owner.say("1")


def test_skip_if_and_confirm_unless_are_plain_predicates_everywhere() -> None:
    """They read ctx.values and ctx.facts only; what they need from the database comes through Slot.facts."""
    import inspect

    from bot.registry import default_dialogs

    for dialog in default_dialogs():
        checks = [slot.skip_if for slot in dialog.slots] + [dialog.confirm_unless]
        for check in filter(None, checks):
            assert not inspect.iscoroutinefunction(check), f"{dialog.name}: {check.__name__} is async"
