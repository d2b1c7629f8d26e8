"""The owner's side of the back office: 最新公告, 活动报名 / 取消报名 and 员工绑定 in chat, through the real bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.backoffice.factories import community_id
from tests.bot.owners import Owner, TinyAssistant, make_bot
from workflows.activities.models import Activity
from workflows.activities.service import create_activity
from workflows.announcements.service import create_announcement, publish_announcement
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.staff.models import StaffUser
from workflows.staff.service import issue_invite_code


@pytest.fixture
async def owner(runtime):
    bot = make_bot(runtime, assistant=TinyAssistant())
    yield Owner(bot, openid="dialog-owner")
    await bot.transcript.stop()


async def _activity(runtime, capacity: int) -> int:
    yghy = await community_id(runtime, "YGHY")
    async with transaction(runtime.sessions) as session:
        activity = await create_activity(session, community_id=yghy, title="重阳节包饺子", place="会所活动室",
                                         starts_at=utcnow() + timedelta(days=2),
                                         signup_deadline=utcnow() + timedelta(days=1), capacity=capacity)
        return activity.id


async def test_latest_announcements_are_listed_and_a_number_shows_the_whole_text(runtime, owner):
    assert "暂时没有新公告" in await owner.say("最新公告")
    yghy = await community_id(runtime, "YGHY")
    async with transaction(runtime.sessions) as session:
        announcement = await create_announcement(session, community_id=yghy, title="停水通知",
                                                 body="11月26日9:00-12:00停水检修，请提前储水。", pinned=True)
        await publish_announcement(session, announcement=announcement)
    listing = await owner.say("最新公告")
    assert "1. 【置顶】停水通知" in listing
    full = await owner.say("1")
    assert "请提前储水" in full


async def test_an_owner_signs_up_and_cancels_and_the_last_place_goes_once(runtime, owner):
    activity_id = await _activity(runtime, capacity=1)
    assert "绑定" in await owner.say("活动报名")  # unbound owners are asked to bind first
    await owner.bind_demo_flat()
    listing = await owner.say("活动报名")
    assert "重阳节包饺子" in listing and "剩 1 个名额" in listing
    confirm = await owner.say("1")
    assert "报名人：张伟" in confirm
    assert "报名成功" in await owner.say("1")
    async with transaction(runtime.sessions) as session:
        assert (await session.get(Activity, activity_id)).signed_count == 1
    assert "没有正在报名的活动" not in await owner.say("活动报名")
    assert "已经报过名" in await owner.say("1") + await owner.say("1")
    assert "重阳节包饺子" in await owner.say("取消报名")
    await owner.say("1")
    assert "已为您取消" in await owner.say("1")
    async with transaction(runtime.sessions) as session:
        assert (await session.get(Activity, activity_id)).signed_count == 0
    assert "没有报名任何活动" in await owner.say("取消报名")


async def test_a_staff_member_binds_wechat_with_the_invite_code(runtime, owner):
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == "wang.shifu"))
        code = await issue_invite_code(session, staff=staff, actor="test")
    assert "不对或已经用过" in await owner.say("员工绑定 ZZZZZZ")
    assert "绑定成功！王师傅（维修工）" in await owner.say(f"员工绑定 {code.lower()}")
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == "wang.shifu"))
        assert staff.wechat_openid == "dialog-owner" and staff.wechat_invite_code is None
    assert "不对或已经用过" in await owner.say(f"员工绑定 {code}")  # a code works once
