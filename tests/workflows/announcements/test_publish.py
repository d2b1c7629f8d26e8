"""Publishing an announcement: owners in scope get one message each, spread out; the chat lists it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.backoffice.factories import bind_owner
from workflows.access import Actor
from workflows.announcements.models import AnnouncementStatus
from workflows.announcements.service import (
    SEND_RATE_PER_S,
    AnnouncementError,
    create_announcement,
    delivery_counts,
    latest_announcements,
    publish_announcement,
    withdraw_announcement,
)
from workflows.clock import utcnow
from workflows.community.models import Building, Community
from workflows.db import transaction
from workflows.messages.service import record_messages
from workflows.outbox.models import OutboxMessage, OutboxStatus


async def _ids(session):
    community = await session.scalar(select(Community).where(Community.code == "YGHY"))
    building2 = await session.scalar(select(Building).where(Building.community_id == community.id,
                                                            Building.name == "2栋"))
    return community.id, building2.id


async def test_publishing_queues_one_message_per_bound_owner_spread_out_in_time(any_runtime):
    await bind_owner(any_runtime, openid="o-1")
    await bind_owner(any_runtime, openid="o-2", building="2栋", room="1单元101")
    await bind_owner(any_runtime, openid="o-1", building="2栋", room="1单元201")  # two homes, one message
    await bind_owner(any_runtime, openid="o-chy", code="CHY", building="1栋", room="1单元101")
    async with transaction(any_runtime.sessions) as session:
        await record_messages(session, entries=[{"openid": "o-1", "direction": "in", "content": "你好"}])
        community_id, _ = await _ids(session)
        announcement = await create_announcement(session, community_id=community_id, title="停水通知",
                                                 body="11月26日9:00-12:00停水检修，请提前储水。")
        now = utcnow()
        assert await publish_announcement(session, announcement=announcement, now=now) == 2
        messages = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [m.payload["openid"] for m in messages] == ["o-1", "o-2"]
        assert [m.kind for m in messages] == ["wechat.text", "wechat.template"]  # o-2 wrote nothing in 48 h
        assert "停水通知" in messages[0].payload["text"]
        assert messages[1].next_attempt_at - messages[0].next_attempt_at == timedelta(seconds=1 / SEND_RATE_PER_S)
        messages[0].status = OutboxStatus.SENT
        await session.flush()
        assert await delivery_counts(session, announcement_id=announcement.id) == {
            "pending": 1, "sending": 0, "sent": 1, "dead": 0}
        try:
            await publish_announcement(session, announcement=announcement)
        except AnnouncementError:
            pass
        else:
            raise AssertionError("published twice")


async def test_a_building_announcement_reaches_only_that_building(runtime):
    await bind_owner(runtime, openid="o-1")
    await bind_owner(runtime, openid="o-2", building="2栋", room="1单元101")
    async with transaction(runtime.sessions) as session:
        community_id, building2 = await _ids(session)
        announcement = await create_announcement(session, community_id=community_id, building_id=building2,
                                                 title="2栋电梯保养", body="明天上午2栋电梯保养。")
        assert await publish_announcement(session, announcement=announcement) == 1
        assert [m.payload["openid"] for m in await session.scalars(select(OutboxMessage))] == ["o-2"]
        assert await latest_announcements(session, community_ids={community_id}) == []
        assert [a.title for a in await latest_announcements(session, community_ids={community_id},
                                                            building_ids={building2})] == ["2栋电梯保养"]


async def test_pinned_first_then_newest_and_withdrawn_disappear(runtime):
    async with transaction(runtime.sessions) as session:
        community_id, _ = await _ids(session)
        made = {}
        for title, pinned in (("旧的置顶", True), ("普通一", False), ("普通二", False)):
            made[title] = await create_announcement(session, community_id=community_id, title=title, body="内容",
                                                    pinned=pinned)
            await publish_announcement(session, announcement=made[title])
        made["普通二"].published_at = utcnow() + timedelta(seconds=5)
        titles = [a.title for a in await latest_announcements(session, community_ids={community_id})]
        assert titles == ["旧的置顶", "普通二", "普通一"]
        await withdraw_announcement(session, announcement=made["普通一"], actor=Actor(role="front_desk", staff_id=3))
        assert made["普通一"].status == AnnouncementStatus.WITHDRAWN
        assert "普通一" not in [a.title for a in await latest_announcements(session, community_ids={community_id})]


async def test_bad_values_name_their_field(runtime):
    async with transaction(runtime.sessions) as session:
        community_id, _ = await _ids(session)
        other = await session.scalar(select(Building).where(Building.community_id != community_id))
        for values, field in (({"title": ""}, "title"), ({"body": ""}, "body"), ({"title": "长" * 61}, "title"),
                              ({"building_id": other.id}, "building_id")):
            try:
                await create_announcement(session, **{"community_id": community_id, "title": "标题", "body": "正文",
                                                      **values})
            except AnnouncementError as exc:
                assert exc.field == field
            else:
                raise AssertionError(values)


async def test_the_demo_board_is_seeded_once(runtime):
    from workflows.announcements.demo import seed_board_demo

    async with transaction(runtime.sessions) as session:
        assert await seed_board_demo(session) == 3
        assert await seed_board_demo(session) == 0
        community_id, _ = await _ids(session)
        titles = [a.title for a in await latest_announcements(session, community_ids={community_id})]
        assert titles[0] == "冬季供暖设备检修通知" and len(titles) == 2
