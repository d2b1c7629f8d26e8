"""Dashboard figures from real rows: repairs by category, satisfaction by month, SLA queue, first response."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflows.analytics import queries as a
from workflows.clock import SHANGHAI, local, utcnow
from workflows.community.models import Community
from workflows.db import transaction
from workflows.escalations.models import Escalation, EscalationReason
from workflows.repairs.models import RepairStatus, RepairTicket


async def test_repair_figures_come_from_the_repair_tickets(any_runtime):
    now = utcnow()
    async with transaction(any_runtime.sessions) as session:
        yghy = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        chy = await session.scalar(select(Community.id).where(Community.code == "CHY"))
        rows = [("水电", RepairStatus.RATED, 5, None), ("水电", RepairStatus.RATED, 3, None),
                ("门窗", RepairStatus.DISPATCHED, None, now - timedelta(minutes=5)),
                ("电梯", RepairStatus.ACCEPTED, None, now + timedelta(hours=1))]
        for n, (category, status, rating, resolve_by) in enumerate(rows):
            session.add(RepairTicket(number=f"BX-T-{n}", community_id=yghy, openid=f"o{n}", category=category,
                                     status=status, rating=rating, rated_at=now if rating else None,
                                     respond_by=resolve_by, resolve_by=resolve_by,
                                     first_response_at=now if status == RepairStatus.ACCEPTED else None))
        session.add(RepairTicket(number="BX-T-X", community_id=chy, openid="x", category="管道疏通"))
        await session.flush()
        by_category = await a.repairs_by_category(session, community_ids={yghy}, now=now)
        assert dict(zip(by_category.labels, by_category.values, strict=True)) == {"水电": 2, "门窗": 1, "电梯": 1}
        satisfaction = await a.satisfaction_by_month(session, community_ids={yghy}, now=now, tz=SHANGHAI)
        assert satisfaction.labels[-1] == local(now).strftime("%Y-%m") and satisfaction.values[-1] == 4.0
        assert satisfaction.values[:-1] == [None] * 5
        assert await a.repair_queue(session, community_ids={yghy}, now=now) == {"open": 2, "near": 1, "past": 1}
        everything = await a.repairs_by_category(session, community_ids=None, now=now)
        assert "管道疏通" in everything.labels


async def test_first_response_is_averaged_per_day_and_days_without_answers_are_gaps(runtime):
    now = utcnow()
    async with transaction(runtime.sessions) as session:
        yghy = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        for minutes in (10, 20):
            session.add(Escalation(number=f"RG-{minutes}", community_id=yghy, openid="o",
                                   reason=EscalationReason.OTHER, created_at=now - timedelta(minutes=30),
                                   first_response_at=now - timedelta(minutes=30 - minutes)))
        await session.flush()
        series = await a.first_response_minutes(session, community_ids={yghy}, now=now, tz=SHANGHAI)
        day = series.labels.index(local(now - timedelta(minutes=30)).strftime("%m-%d"))
        assert len(series.values) == 14 and series.values[day] == 15.0 and series.values[0] is None
        assert await a.first_response_minutes(session, community_ids=set(), now=now, tz=SHANGHAI) != series
