"""Demo announcements and an activity for 阳光花园 (`linli demo`), so 最新公告 and 活动报名 have something to show.
Idempotent: nothing is added when the same titles are already there (an expired demo activity is renewed)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.activities.models import Activity, ActivityStatus
from workflows.activities.service import create_activity
from workflows.announcements.models import Announcement
from workflows.announcements.service import create_announcement, publish_announcement
from workflows.clock import utcnow
from workflows.community.models import Community

ANNOUNCEMENTS = (
    ("冬季供暖设备检修通知", "12月1日至12月3日，物业将对各楼栋公共区域的供暖管道进行检修，期间可能短时停水，"
                        "请提前储水。给您带来不便，敬请谅解。", True),
    ("电动车请勿进楼充电", "为了大家的安全，请不要把电动车推进楼道或家中充电。"
                      "小区北门车棚有充电桩，扫码即可使用。", False),
)
ACTIVITY = ("社区义诊：量血压、测血糖", "会所一楼活动室", 40)


async def seed_board_demo(session: AsyncSession) -> int:
    """Published announcements (pushed to nobody unless owners have bound) and one open activity."""
    community = await session.scalar(select(Community).where(Community.code == "YGHY"))
    if community is None:
        return 0
    added = 0
    now = utcnow()
    for title, body, pinned in ANNOUNCEMENTS:
        if await session.scalar(select(Announcement.id).where(Announcement.title == title)) is None:
            announcement = await create_announcement(session, community_id=community.id, title=title, body=body,
                                                     pinned=pinned)
            await publish_announcement(session, announcement=announcement, now=now)
            added += 1
    title, place, capacity = ACTIVITY
    open_one = await session.scalar(select(Activity.id).where(Activity.title == title,
                                                              Activity.status == ActivityStatus.OPEN,
                                                              Activity.signup_deadline > now))
    if open_one is None:
        await create_activity(session, community_id=community.id, title=title, place=place, capacity=capacity,
                              starts_at=now + timedelta(days=7), signup_deadline=now + timedelta(days=6),
                              description="社区卫生服务中心的医生来小区义诊，免费量血压、测血糖，欢迎老人家参加。")
        added += 1
    return added
