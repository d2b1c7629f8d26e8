"""Bill runs (生成账单): every bill line a community owes for a billing month, as rows.

`plan_lines` works out the lines that should exist (pure reads); `generate_bills` inserts the missing ones in
batches, each batch its own transaction, so an interrupted run that is started again completes it with no
duplicates (the unique (fee item, subject, period) constraint also settles two runs racing). `preview_run` is the
same plan without writing, for the back office's preview before commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.billing.models import (
    Bill,
    BillRun,
    BillStatus,
    FeeItem,
    FeeKind,
    MeterReading,
    ParkingSpace,
)
from workflows.billing.pricing import Span, covered_days, due_date, line_amount, service_span
from workflows.clock import utcnow
from workflows.community.models import Community, Household, Resident, ResidentRole
from workflows.db import transaction

GENERATED_KINDS = (FeeKind.AREA, FeeKind.FIXED, FeeKind.PARKING, FeeKind.METERED)
BATCH_SIZE = 5000


@dataclass
class RunPreview:
    """What a run would add: per fee item name, (new lines, their fen); and how many lines already exist."""

    community_id: int
    period: str
    new_lines: int = 0
    new_fen: int = 0
    existing_lines: int = 0
    by_item: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Payer:
    household_id: int
    building_id: int
    area_m2: Decimal
    since: date | None  # the owners' earliest move-in (入住)
    until: date | None  # the last owner's move-out, when every owner has moved out


async def _payers(session: AsyncSession, community_id: int) -> list[_Payer]:
    owners = and_(Resident.household_id == Household.id, Resident.role == ResidentRole.OWNER)
    all_moved_out = func.count(Resident.id) > 0
    query = (select(Household.id, Household.building_id, Household.area_m2, func.min(Resident.move_in),
                    case((and_(all_moved_out, func.count(Resident.move_out) == func.count(Resident.id)),
                          func.max(Resident.move_out)), else_=None))
             .outerjoin(Resident, owners).where(Household.community_id == community_id)
             .group_by(Household.id, Household.building_id, Household.area_m2).order_by(Household.id))
    return [_Payer(*row) for row in (await session.execute(query)).all()]


def _line(item: FeeItem, payer: _Payer, period: str, span: Span, quantity: Decimal, amount: int, *,
          subject: str, space_id: int | None = None, start: date | None = None, end: date | None = None,
          note: str = "") -> dict[str, Any]:
    return {"community_id": item.community_id, "building_id": payer.building_id, "household_id": payer.household_id,
            "space_id": space_id, "fee_item_id": item.id, "subject": subject, "period": period,
            "service_start": start or span.start, "service_end": end or span.end, "quantity": quantity,
            "unit_price": item.unit_price, "amount_fen": amount, "late_fee_fen": 0,
            "due_date": due_date(period, item.due_day), "status": BillStatus.UNPAID.value,
            "description": f"{item.name} {span.start:%Y-%m}" + (f"～{span.end:%Y-%m}" if span.months > 1 else "")
                           + note}


def _clip(span: Span, *windows: tuple[date | None, date | None]) -> tuple[date, date]:
    start, end = span.start, span.end
    for since, until in windows:
        start = max(start, since) if since else start
        end = min(end, until) if until else end
    return start, end


async def _metered_usage(session: AsyncSession, item: FeeItem, label: str) -> dict[int, tuple[Decimal, Decimal]]:
    """household → (previous reading, this reading) for readings taken for month `label`."""
    current = dict((await session.execute(select(MeterReading.household_id, MeterReading.value).where(
        MeterReading.fee_item_id == item.id, MeterReading.period == label))).all())
    latest_before = (select(MeterReading.household_id, func.max(MeterReading.period).label("period"))
                     .where(MeterReading.fee_item_id == item.id, MeterReading.period < label)
                     .group_by(MeterReading.household_id).subquery())
    previous = dict((await session.execute(select(MeterReading.household_id, MeterReading.value).join(
        latest_before, and_(latest_before.c.household_id == MeterReading.household_id,
                            latest_before.c.period == MeterReading.period))
        .where(MeterReading.fee_item_id == item.id))).all())
    return {household: (previous[household], value) for household, value in current.items() if household in previous}


async def plan_lines(session: AsyncSession, *, community_id: int, period: str) -> list[dict[str, Any]]:
    """Every bill line the community owes for billing month `period` under the items in force then."""
    items = list(await session.scalars(select(FeeItem).where(
        FeeItem.community_id == community_id, FeeItem.active.is_(True), FeeItem.kind.in_(GENERATED_KINDS))
        .order_by(FeeItem.id)))
    payers = await _payers(session, community_id)
    by_household = {payer.household_id: payer for payer in payers}
    lines: list[dict[str, Any]] = []
    for item in items:
        span = service_span(period, item.cycle, item.mode)
        if span is None:
            continue
        in_force = (item.effective_from, item.effective_to)
        if covered_days(span, in_force) == 0:
            continue
        if item.kind in (FeeKind.AREA, FeeKind.FIXED):
            for payer in payers:
                quantity = payer.area_m2 if item.kind == FeeKind.AREA else Decimal("1")
                days = covered_days(span, in_force, (payer.since, payer.until))
                if days and quantity > 0:
                    start, end = _clip(span, in_force, (payer.since, payer.until))
                    lines.append(_line(item, payer, period, span, quantity,
                                       line_amount(quantity, item.unit_price, span, days),
                                       subject=f"h{payer.household_id}", start=start, end=end))
        elif item.kind == FeeKind.PARKING:
            spaces = await session.execute(select(ParkingSpace).where(
                ParkingSpace.community_id == community_id, ParkingSpace.household_id.is_not(None))
                .order_by(ParkingSpace.id))
            for space in spaces.scalars():
                rental = (space.rented_from, space.rented_until)
                days = covered_days(span, in_force, rental)
                payer = by_household.get(space.household_id)  # type: ignore[arg-type]
                if days and payer is not None:
                    start, end = _clip(span, in_force, rental)
                    lines.append(_line(item, payer, period, span, Decimal("1"),
                                       line_amount(Decimal("1"), item.unit_price, span, days), subject=f"s{space.id}",
                                       space_id=space.id, start=start, end=end, note=f" {space.code}"))
        else:  # metered: the readings taken for the span's last month, against the reading before
            usage = await _metered_usage(session, item, f"{span.end:%Y-%m}")
            for household_id, (before, now) in sorted(usage.items()):
                payer = by_household.get(household_id)
                used = now - before
                if payer is not None and used > 0:
                    lines.append(_line(item, payer, period, span, used,
                                       line_amount(used, item.unit_price, Span(span.start, span.end, 1), span.days),
                                       subject=f"h{household_id}", note=f" {before}→{now}"))
    return lines


async def _existing(session: AsyncSession, community_id: int, period: str) -> set[tuple[int, str]]:
    rows = await session.execute(select(Bill.fee_item_id, Bill.subject).where(
        Bill.community_id == community_id, Bill.period == period))
    return {(fee_item_id, subject) for fee_item_id, subject in rows.all()}


async def preview_run(session: AsyncSession, *, community_id: int, period: str,
                      names: dict[int, str] | None = None) -> RunPreview:
    """What generate_bills would add now, without writing anything."""
    lines = await plan_lines(session, community_id=community_id, period=period)
    existing = await _existing(session, community_id, period)
    names = names or dict((await session.execute(select(FeeItem.id, FeeItem.name).where(
        FeeItem.community_id == community_id))).all())
    preview = RunPreview(community_id=community_id, period=period)
    for line in lines:
        if (line["fee_item_id"], line["subject"]) in existing:
            preview.existing_lines += 1
            continue
        preview.new_lines += 1
        preview.new_fen += line["amount_fen"]
        totals = preview.by_item.setdefault(names.get(line["fee_item_id"], "?"), [0, 0])
        totals[0] += 1
        totals[1] += line["amount_fen"]
    return preview


def _insert_ignoring_duplicates(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Bill).on_conflict_do_nothing(index_elements=["fee_item_id", "subject", "period"])


async def _start_run(sessions: async_sessionmaker[AsyncSession], community_id: int, period: str,
                     started_by: str) -> int:
    """The run row of (community, period), created once even when two runs start together."""
    async with transaction(sessions) as session:
        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        await session.execute(insert(BillRun).values(community_id=community_id, period=period, status="running",
                                                     started_by=started_by, started_at=utcnow(), bills_created=0,
                                                     amount_fen=0)
                              .on_conflict_do_nothing(index_elements=["community_id", "period"]))
        return await session.scalar(select(BillRun.id).where(BillRun.community_id == community_id,
                                                             BillRun.period == period))


def _batches(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


async def generate_bills(sessions: async_sessionmaker[AsyncSession], *, period: str,
                         community_ids: list[int] | None = None, started_by: str = "system",
                         on_plan: Callable[[int], None] | None = None,
                         on_progress: Callable[[int], None] | None = None,
                         batch_size: int = BATCH_SIZE) -> list[BillRun]:
    """Create the missing bill lines of `period` for the given communities (default: all); returns the runs.
    `on_plan(n)` hears how many lines are still to insert, `on_progress(k)` each batch inserted."""
    async with sessions() as session:
        if community_ids is None:
            community_ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
        planned: list[tuple[int, int, list[dict[str, Any]]]] = []
        for community_id in community_ids:
            run_id = await _start_run(sessions, community_id, period, started_by)
            existing = await _existing(session, community_id, period)
            missing = [line for line in await plan_lines(session, community_id=community_id, period=period)
                       if (line["fee_item_id"], line["subject"]) not in existing]
            for line in missing:
                line["run_id"] = run_id
            planned.append((community_id, run_id, missing))
        dialect = session.bind.dialect.name
    if on_plan is not None:
        on_plan(sum(len(missing) for _, _, missing in planned))
    statement = _insert_ignoring_duplicates(dialect)
    runs: list[BillRun] = []
    for community_id, run_id, missing in planned:
        for batch in _batches(missing, batch_size):
            now = utcnow()
            for line in batch:
                line["created_at"] = now
            async with transaction(sessions) as session:
                await session.execute(statement, batch)
            if on_progress is not None:
                on_progress(len(batch))
        async with transaction(sessions) as session:
            totals = select(func.count(Bill.id), func.coalesce(func.sum(Bill.amount_fen), 0)).where(
                Bill.community_id == community_id, Bill.period == period)
            count, total = (await session.execute(totals)).one()
            await session.execute(update(BillRun).where(BillRun.id == run_id).values(
                status="done", bills_created=count, amount_fen=total, finished_at=utcnow()))
            runs.append(await session.get(BillRun, run_id))  # type: ignore[arg-type]
    return runs


async def insert_lines(session: AsyncSession, lines: list[dict[str, Any]]) -> int:
    """Insert planned lines inside the caller's transaction (the demo seed, tests); existing ones are skipped."""
    if not lines:
        return 0
    now = utcnow()
    for line in lines:
        line.setdefault("created_at", now)
    before = await session.scalar(select(func.count(Bill.id)))
    await session.execute(_insert_ignoring_duplicates(session.bind.dialect.name), lines)
    return (await session.scalar(select(func.count(Bill.id)))) - before
