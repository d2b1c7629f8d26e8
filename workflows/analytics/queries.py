"""Dashboard figures (数据分析), read from whatever the other modules have recorded.

Every function takes the staff member's community ids (None: all) and returns plain data. A module that is not
built (alarms, visitors) gives None, so the page can say 暂未开通 instead of showing made-up numbers; a module
with no rows gives an empty series, so the chart is empty rather than an error.
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import ModuleType
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus
from workflows.clock import local
from workflows.community.models import Household
from workflows.escalations.models import Escalation, EscalationStatus


@dataclass
class Series:
    """One chart: labels along the axis, one value each (None: no data for that label)."""

    title: str
    labels: list[str] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    unit: str = ""
    available: bool = True  # False: the module behind it is not built yet (暂未开通)

    @property
    def empty(self) -> bool:
        return not any(v for v in self.values if v is not None)

    def rows(self) -> list[list[object]]:
        return [[label, value] for label, value in zip(self.labels, self.values, strict=True)]


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def _in(statement: Select, column, community_ids: set[int] | None) -> Select:  # noqa: ANN001 - a column
    return statement if community_ids is None else statement.where(column.in_(community_ids or {-1}))


async def occupancy(session: AsyncSession, *, community_ids: set[int] | None) -> Series:
    """Households by occupancy: 自住 / 出租 / 空置, and the occupancy rate."""
    rows = dict((await session.execute(_in(select(Household.occupancy, func.count()).group_by(Household.occupancy),
                                           Household.community_id, community_ids))).tuples().all())
    labels = {"occupied": "自住", "rented": "出租", "vacant": "空置"}
    return Series("入住情况", list(labels.values()), [float(rows.get(k, 0)) for k in labels], "户")


def occupancy_rate(series: Series) -> float | None:
    total = sum(v or 0 for v in series.values)
    return None if not total else (total - (series.values[2] or 0)) / total


async def escalation_queue(session: AsyncSession, *, community_ids: set[int] | None) -> dict[str, int]:
    rows = list(await session.execute(_in(select(Escalation.status, Escalation.flagged_overdue,
                                                 Escalation.first_response_at).where(
        Escalation.status != EscalationStatus.RESOLVED), Escalation.community_id, community_ids)))
    return {"open": sum(1 for r in rows if r.status == EscalationStatus.OPEN),
            "claimed": sum(1 for r in rows if r.status == EscalationStatus.CLAIMED),
            "overdue": sum(1 for r in rows if r.flagged_overdue and r.first_response_at is None)}


def _days(now: datetime, tz: ZoneInfo, days: int) -> list[date]:
    today = local(now, tz).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


async def first_response_minutes(session: AsyncSession, *, community_ids: set[int] | None, now: datetime,
                                 tz: ZoneInfo, days: int = 14) -> Series:
    """Average minutes from hand-over to the first staff reply, per day the escalation was raised."""
    since = now - timedelta(days=days)
    rows = await session.execute(_in(select(Escalation.created_at, Escalation.first_response_at).where(
        Escalation.created_at >= since, Escalation.first_response_at.is_not(None)),
        Escalation.community_id, community_ids))
    per_day: dict[date, list[float]] = defaultdict(list)
    for created, answered in rows:
        per_day[local(created, tz).date()].append((answered - created).total_seconds() / 60)
    labels = _days(now, tz, days)
    return Series("平均首次响应时间", [d.strftime("%m-%d") for d in labels],
                  [round(sum(per_day[d]) / len(per_day[d]), 1) if per_day.get(d) else None for d in labels], "分钟")


async def repair_queue(session: AsyncSession, *, community_ids: set[int] | None, now: datetime) -> dict | None:
    """Open work orders near (within 2 h) or past their SLA; None when the repairs module is not there."""
    models = _module("workflows.repairs.models")
    if models is None:
        return None
    ticket = models.RepairTicket
    rows = list(await session.execute(_in(select(ticket.respond_by, ticket.resolve_by, ticket.first_response_at,
                                                 ticket.respond_breached_at, ticket.resolve_breached_at).where(
        ticket.status.in_(models.OPEN_STATUSES)), ticket.community_id, community_ids)))
    soon = now + timedelta(hours=2)

    def due(r) -> datetime | None:  # noqa: ANN001 - a row
        return r.resolve_by if r.first_response_at is not None else (r.respond_by or r.resolve_by)

    past = [r for r in rows if r.respond_breached_at or r.resolve_breached_at or (due(r) and due(r) < now)]
    near = [r for r in rows if r not in past and due(r) and due(r) < soon]
    return {"open": len(rows), "near": len(near), "past": len(past)}


async def repairs_by_category(session: AsyncSession, *, community_ids: set[int] | None, now: datetime,
                              days: int = 90) -> Series:
    models = _module("workflows.repairs.models")
    if models is None:
        return Series("报修类别（近 90 天）", available=False)
    ticket = models.RepairTicket
    rows = await session.execute(_in(select(ticket.category, func.count()).where(
        ticket.created_at >= now - timedelta(days=days)).group_by(ticket.category), ticket.community_id,
        community_ids))
    counts = Counter(dict(rows.tuples().all()))
    top = counts.most_common(8)
    return Series("报修类别（近 90 天）", [c for c, _ in top], [float(n) for _, n in top], "单")


async def satisfaction_by_month(session: AsyncSession, *, community_ids: set[int] | None, now: datetime,
                                tz: ZoneInfo, months: int = 6) -> Series:
    """Average owner rating (1–5) of repairs, per month they were rated."""
    models = _module("workflows.repairs.models")
    if models is None:
        return Series("满意度（报修评分）", available=False)
    ticket = models.RepairTicket
    labels = _months(now, tz, months)
    rows = await session.execute(_in(select(ticket.rated_at, ticket.rating).where(
        ticket.rating.is_not(None), ticket.rated_at.is_not(None)), ticket.community_id, community_ids))
    per_month: dict[str, list[int]] = defaultdict(list)
    for rated_at, rating in rows:
        per_month[local(rated_at, tz).strftime("%Y-%m")].append(rating)
    return Series("满意度（报修评分）", labels,
                  [round(sum(per_month[m]) / len(per_month[m]), 2) if per_month.get(m) else None for m in labels],
                  "分")


def _months(now: datetime, tz: ZoneInfo, months: int) -> list[str]:
    current = local(now, tz).date().replace(day=1)
    out = []
    for _ in range(months):
        out.append(current.strftime("%Y-%m"))
        current = (current - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


async def payment_rate_by_month(session: AsyncSession, *, community_ids: set[int] | None, now: datetime,
                                tz: ZoneInfo) -> Series:
    """缴费率 per billing month (账期): paid bill lines' principal over all lines' principal (作废 excluded), in %."""
    labels = _months(now, tz, 6)
    paid = func.sum(case((Bill.status == BillStatus.PAID, Bill.amount_fen), else_=0))
    query = (select(Bill.period, func.sum(Bill.amount_fen), paid)
             .where(Bill.period.in_(labels), Bill.status != BillStatus.CANCELLED).group_by(Bill.period))
    if community_ids is not None:
        query = query.where(Bill.community_id.in_(community_ids))
    rates = {period: round(100 * int(done or 0) / int(total), 1)
             for period, total, done in (await session.execute(query)).all() if total}
    return Series("缴费率（按账期）", labels, [rates.get(label) for label in labels], "%")


def not_built(module: str) -> bool:
    """Alarms and visitors belong to later issues: the dashboard shows 暂未开通 for them."""
    return _module(module) is None
