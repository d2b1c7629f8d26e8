"""A new owner's first message: certainly-unbound openids (not in the state store's "may be bound" set) cost no
database query; every binding change, made by the bot or in the back office, is seen on the next message; after a
restart (or a flushed Redis) bound owners are still recognised."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from bot.owner import load_profile
from linli.wechat import bound_openids_loader
from tests.bot.owners import Owner, make_bot
from tests.bot.test_router import record_state_calls
from workflows.bindings.service import (
    BOUND_OPENIDS_KEY,
    approve_request,
    forget_cached_profile,
    load_bound_openids,
    may_be_bound,
    request_binding,
    verify_and_bind,
)
from workflows.community.models import Household
from workflows.db import transaction
from workflows.escalations.service import Actor
from workflows.statestore import MemoryStateStore


@contextmanager
def counted_queries(runtime):
    queries: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        queries.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield queries
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)


async def demo_household_id(runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(Household.id).where(Household.room == "1单元101",
                                                               Household.community_id == 1).order_by(Household.id))


async def load_set(runtime) -> None:
    async with runtime.sessions() as session:
        await load_bound_openids(session, runtime.state)


async def test_a_new_unbound_owner_costs_no_database_query(any_runtime) -> None:
    bot = make_bot(any_runtime)
    try:
        await load_set(any_runtime)
        for line in ("帮助", "绑定房屋"):  # the default community and the communities: once per process and minute
            await Owner(bot, "chat-first-a").say(line)
        newcomer = Owner(bot, "chat-first-b")
        calls = record_state_calls(any_runtime.state)
        with counted_queries(any_runtime) as queries:
            assert "绑定房屋" in await newcomer.say("帮助")
            assert "请选择您的小区" in await newcomer.say("绑定房屋")
        assert queries == []
        assert f"in_set {BOUND_OPENIDS_KEY}" in calls  # asked once, then the unbound profile is cached
        assert calls.count(f"in_set {BOUND_OPENIDS_KEY}") == 1
        profile = await load_profile(any_runtime, newcomer.openid)
        assert not profile.is_bound and profile.default_community_id == 1
    finally:
        await bot.transcript.stop()


async def test_a_binding_approved_by_staff_is_seen_on_the_next_message(any_runtime) -> None:
    bot = make_bot(any_runtime)
    owner = Owner(bot, "chat-first-approved")
    try:
        await load_set(any_runtime)
        assert "您还没有绑定房屋" in await owner.say("我的房屋")  # an unbound profile is cached now
        household_id = await demo_household_id(any_runtime)
        async with transaction(any_runtime.sessions) as session:
            request = await request_binding(session, openid=owner.openid, household_id=household_id, name="李娜",
                                            phone="13900005678")
        async with transaction(any_runtime.sessions) as session:
            await approve_request(session, request_id=request.id, actor=Actor(role="manager", staff_id=2))
        await forget_cached_profile(any_runtime.state, openid=owner.openid)  # as the back office does after commit
        assert "阳光花园 1栋1单元101（李娜）" in await owner.say("我的房屋")
    finally:
        await bot.transcript.stop()


async def test_an_owner_binding_in_the_dialog_is_recognised_at_once_and_after_a_restart(runtime) -> None:
    bot = make_bot(runtime)
    owner = Owner(bot, "chat-first-dialog")
    try:
        await load_set(runtime)
        for line in ("绑定房屋", "1", "1", "1单元101", "张伟"):
            await owner.say(line)
        assert "绑定成功" in await owner.say("1234")
        assert "阳光花园 1栋1单元101（张伟）" in await owner.say("我的房屋")
    finally:
        await bot.transcript.stop()
    runtime.state = MemoryStateStore()  # a restart of the embedded server: the in-process store starts empty
    await bound_openids_loader(runtime)()  # what the app's "bound-openids" loop runs at start
    assert await may_be_bound(runtime.state, openid=owner.openid)
    assert not await may_be_bound(runtime.state, openid="chat-never-seen")
    restarted = make_bot(runtime)
    try:
        assert "阳光花园 1栋1单元101（张伟）" in await Owner(restarted, owner.openid).say("我的房屋")
    finally:
        await restarted.transcript.stop()


async def test_a_lost_set_means_asking_the_database_until_it_is_loaded_again(any_runtime) -> None:
    household_id = await demo_household_id(any_runtime)
    async with transaction(any_runtime.sessions) as session:  # bound while nobody told the state store
        await verify_and_bind(session, openid="chat-first-lost", household_id=household_id, name="张伟",
                              phone_last4="1234")
    await load_set(any_runtime)
    await any_runtime.state.delete(BOUND_OPENIDS_KEY)  # Redis flushed or the key evicted: no "loaded" mark left
    assert await may_be_bound(any_runtime.state, openid="chat-first-lost")
    assert await may_be_bound(any_runtime.state, openid="chat-anyone")  # unknown, so the database decides
    profile = await load_profile(any_runtime, "chat-first-lost")
    assert profile.is_bound and profile.households[0].label == "1栋1单元101"
    await load_set(any_runtime)
    assert await may_be_bound(any_runtime.state, openid="chat-first-lost")
    assert not await may_be_bound(any_runtime.state, openid="chat-anyone")


async def test_after_unbinding_the_openid_stays_a_maybe_and_the_profile_follows_the_database(runtime) -> None:
    bot = make_bot(runtime)
    owner = Owner(bot, "chat-first-unbind")
    try:
        await load_set(runtime)
        for line in ("绑定房屋", "1", "1", "1单元101", "张伟", "1234"):
            await owner.say(line)
        assert "确认解绑" in await owner.say("解绑 1")
        assert "已解绑" in await owner.say("确认")
        assert await may_be_bound(runtime.state, openid=owner.openid)  # a superset: members are never removed
        assert "您还没有绑定房屋" in await owner.say("我的房屋")
        assert not (await load_profile(runtime, owner.openid)).is_bound
    finally:
        await bot.transcript.stop()
