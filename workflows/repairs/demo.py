"""Demo work orders for `linli demo` (阳光花园): a few weeks of repairs in every state, ratings for the satisfaction
chart, and two complaints, made through the real services. Idempotent: nothing is added when demo tickets exist."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.clock import utcnow
from workflows.community.models import Community, Household
from workflows.complaints import service as complaints
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairTicket
from workflows.staff.models import StaffUser

DEMO_TICKETS = (  # days ago, category, description, public place ("" = the household), how far it got, rating
    (20, "水电", "厨房水龙头一直滴水", "", "rated", 5),
    (17, "管道疏通", "卫生间下水道堵了", "", "rated", 4),
    (12, "门窗", "阳台推拉窗关不严，漏风", "", "rated", 3),
    (9, "电梯", "3栋电梯按钮失灵", "3栋电梯", "rated", 5),
    (6, "公共设施", "5栋2单元楼道灯不亮", "5栋2单元楼道", "completed", None),
    (3, "水电", "卧室插座没电", "", "in_progress", None),
    (1, "门窗", "入户门锁芯不好用", "", "accepted", None),
    (0, "水电", "卫生间热水器漏水", "", "dispatched", None),
)


async def seed_repair_demo(session: AsyncSession) -> int:
    """Create the demo tickets once; returns how many were created."""
    if await session.scalar(select(RepairTicket.id).where(RepairTicket.openid.like("demo-owner-%")).limit(1)):
        return 0
    community = await session.scalar(select(Community).where(Community.code == "YGHY"))
    if community is None:
        return 0
    homes = list(await session.scalars(select(Household).where(Household.community_id == community.id)
                                       .order_by(Household.id).offset(10).limit(len(DEMO_TICKETS))))
    now = utcnow()
    for index, (days, category, text, place, reached, rating) in enumerate(DEMO_TICKETS):
        home = homes[index % len(homes)]
        openid, at = f"demo-owner-{index + 1}", now - timedelta(days=days, hours=2)
        ticket = await repairs.open_repair(
            session, community_id=community.id, openid=openid, category=category, description=text,
            household_id=None if place else home.id, building_id=None if place else home.building_id,
            public_area=bool(place), location_text=place or home.room, now=at)
        technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
        if technician is None or reached == "dispatched":
            continue
        actor = repairs.staff_actor(technician)
        await repairs.accept(session, ticket=ticket, actor=actor, now=at + timedelta(minutes=40))
        if reached == "accepted":
            continue
        await repairs.start(session, ticket=ticket, actor=actor, now=at + timedelta(hours=3))
        if reached == "in_progress":
            continue
        await repairs.complete(session, ticket=ticket, actor=actor, note="已修好", now=at + timedelta(hours=5))
        if rating:
            await repairs.rate(session, ticket=ticket, actor=repairs.owner_actor(openid), rating=rating,
                               now=at + timedelta(hours=8))
    await complaints.open_complaint(session, community_id=community.id, openid="demo-owner-2", category="噪音",
                                    description="楼上每天晚上十一点后还在装修", household_id=homes[1].id,
                                    now=now - timedelta(hours=30))
    await complaints.open_complaint(session, community_id=community.id, openid="demo-owner-5", category="停车",
                                    description="有车长期停在消防通道", anonymous=True, now=now - timedelta(hours=3))
    return len(DEMO_TICKETS)
