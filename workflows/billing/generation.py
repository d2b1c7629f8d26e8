"""Bill runs (生成账单): every bill line a community owes for a billing month, as rows.

`plan_lines` works out the lines that should exist (pure reads); `generate_bills` inserts the missing ones in
batches, each batch its own transaction, so an interrupted run that is started again completes it with no
duplicates (the unique (fee item, subject, period) constraint also settles two runs racing). `preview_run` is the
same plan without writing, for the back office's preview before commit.

On PostgreSQL `generate_bills` leaves the common line — an area or fixed item in force for its whole span, for a
household none of whose owners moved in after the span began or ever moved out — to SQL: it never loads those
households, it numbers them into batches and writes each batch, all such items at once, with one INSERT … SELECT.
Only the other households (`_owner_dates`), parking spaces and meter readings are planned line by line in Python.

The line type and the pricing of one item's lines are in generation_lines.py; the SQL that writes lines (the
INSERT … SELECT of the common lines, their batch numbering, the COPY of planned lines) in generation_sql.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.billing.generation_lines import UNPAID, Line, _clip, _line, _Payer, _per_household
from workflows.billing.generation_lines import FullSpan as FullSpan
from workflows.billing.generation_sql import (
    _COMMON_INSERT,
    _common_batches,
    _common_parameters,
    _existing,
    _insert_batch,
)
from workflows.billing.generation_sql import COLUMNS as COLUMNS
from workflows.billing.models import (
    Bill,
    BillRun,
    FeeItem,
    FeeKind,
    MeterReading,
    ParkingSpace,
)
from workflows.billing.pricing import Span, covered_days, line_amount, service_span
from workflows.clock import utcnow
from workflows.community.models import Community, Household, Resident, ResidentRole
from workflows.db import transaction

GENERATED_KINDS = (FeeKind.AREA, FeeKind.FIXED, FeeKind.PARKING, FeeKind.METERED)
BATCH_SIZE = 30_000  # bill lines per transaction: 10 for 100,000 households × 3 items
_Row = TypeVar("_Row")


@dataclass
class RunPreview:
    """What a run would add: per fee item name, (new lines, their fen); and how many lines already exist."""

    community_id: int
    period: str
    new_lines: int = 0
    new_fen: int = 0
    existing_lines: int = 0
    by_item: dict[str, list[int]] = field(default_factory=dict)



def _moved_owners(community_id: int, since: date):  # noqa: ANN202 (a SQLAlchemy select)
    """The households of the community with an owner who moved in after `since` or has moved out: the only ones
    whose dates can prorate a span starting on or after `since`."""
    return select(Resident.household_id).where(Resident.community_id == community_id,
                                               Resident.role == ResidentRole.OWNER,
                                               or_(Resident.move_in > since, Resident.move_out.is_not(None)))


async def _owner_dates(session: AsyncSession, community_id: int,
                       since: date) -> dict[int, tuple[date | None, date | None]]:
    """household → (the owners' earliest move-in, the last owner's move-out when every owner has moved out), for the
    households of `_moved_owners` only: everyone else pays full spans, and a bill run of 100,000 households should
    not aggregate 100,000 residents' dates to learn that."""
    owners = and_(Resident.household_id == Household.id, Resident.role == ResidentRole.OWNER)
    all_moved_out = and_(func.count(Resident.id) > 0, func.count(Resident.move_out) == func.count(Resident.id))
    return {household_id: (move_in, move_out) for household_id, move_in, move_out in (await session.execute(
        select(Household.id, func.min(Resident.move_in), case((all_moved_out, func.max(Resident.move_out)),
                                                              else_=None))
        .join(Resident, owners).where(Household.id.in_(_moved_owners(community_id, since)))
        .group_by(Household.id))).all()}


async def _households(session: AsyncSession, community_id: int,
                      only: set[int] | None = None) -> list[tuple[int, int, Decimal]]:
    """(id, building, area) of the community's households, or of those in `only`."""
    query = select(Household.id, Household.building_id, Household.area_m2).where(
        Household.community_id == community_id).order_by(Household.id)
    if only is not None:
        if not only:
            return []
        query = query.where(Household.id.in_(sorted(only)))
    return list((await session.execute(query)).all())


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


async def plan_lines(session: AsyncSession, *, community_id: int, period: str) -> list[Line]:
    """Every bill line the community owes for billing month `period` under the items in force then."""
    return (await _plan(session, community_id=community_id, period=period)).lines


@dataclass
class _Plan:
    """A community's lines for a month: `lines` planned in Python; with `set_based`, also the lines of `common`
    (the items in force for their whole span) for every household of the community with a positive quantity
    except those in `moved`, which SQL writes (`_COMMON_INSERT`) without Python ever seeing them."""

    lines: list[Line]
    common: list[tuple[FeeItem, Span]] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)


def _in_force(item: FeeItem) -> tuple[date | None, date | None]:
    return item.effective_from, item.effective_to


async def _plan(session: AsyncSession, *, community_id: int, period: str, set_based: bool = False) -> _Plan:
    """plan_lines; with `set_based` (PostgreSQL's generate_bills), the common lines are left to SQL."""
    items = list(await session.scalars(select(FeeItem).where(
        FeeItem.community_id == community_id, FeeItem.active.is_(True), FeeItem.kind.in_(GENERATED_KINDS))
        .order_by(FeeItem.id)))
    billed = [(item, span) for item in items
              if (span := service_span(period, item.cycle, item.mode)) is not None and covered_days(span, _in_force(
                  item))]
    per_household = [(item, span) for item, span in billed if item.kind in (FeeKind.AREA, FeeKind.FIXED)]
    common = [(item, span) for item, span in per_household
              if set_based and covered_days(span, _in_force(item)) == span.days]
    dates = await _owner_dates(session, community_id, min((span.start for _, span in billed), default=date.max))
    spaces = list(await session.scalars(select(ParkingSpace).where(
        ParkingSpace.community_id == community_id, ParkingSpace.household_id.is_not(None))
        .order_by(ParkingSpace.id))) if any(item.kind == FeeKind.PARKING for item, _ in billed) else []
    usage = {item.id: await _metered_usage(session, item, f"{span.end:%Y-%m}")
             for item, span in billed if item.kind == FeeKind.METERED}
    # every household is needed when an item is prorated for all of them (not in force throughout), or without SQL
    everyone = len(common) < len(per_household)
    payers = [_Payer(household_id, building_id, area, *dates.get(household_id, (None, None)))
              for household_id, building_id, area in await _households(session, community_id, None if everyone else (
                  set(dates) | {space.household_id for space in spaces} | {h for u in usage.values() for h in u}))]
    by_household = {payer.household_id: payer for payer in payers}
    moved = [payer for payer in payers if payer.household_id in dates]
    common_ids = {item.id for item, _ in common}
    lines: list[Line] = []
    for item, span in billed:
        in_force = _in_force(item)
        if item.kind in (FeeKind.AREA, FeeKind.FIXED):
            group, prorated = _per_household(item, moved if item.id in common_ids else payers, period, span)
            lines.extend(group.expand())
            lines.extend(prorated)
        elif item.kind == FeeKind.PARKING:
            for space in spaces:
                rental = (space.rented_from, space.rented_until)
                days = covered_days(span, in_force, rental)
                payer = by_household.get(space.household_id)  # type: ignore[arg-type]
                if days and payer is not None:
                    start, end = _clip(span, in_force, rental)
                    lines.append(_line(item, payer, period, span, Decimal("1"),
                                       line_amount(Decimal("1"), item.unit_price, span, days), subject=f"s{space.id}",
                                       space_id=space.id, start=start, end=end, note=f" {space.code}"))
        else:  # metered: the readings taken for the span's last month, against the reading before
            for household_id, (before, now) in sorted(usage[item.id].items()):
                payer = by_household.get(household_id)
                used = now - before
                if payer is not None and used > 0:
                    lines.append(_line(item, payer, period, span, used,
                                       line_amount(used, item.unit_price, Span(span.start, span.end, 1), span.days),
                                       subject=f"h{household_id}", note=f" {before}→{now}"))
    return _Plan(lines, common, sorted(dates))


async def preview_run(session: AsyncSession, *, community_id: int, period: str,
                      names: dict[int, str] | None = None) -> RunPreview:
    """What generate_bills would add now, without writing anything."""
    lines = await plan_lines(session, community_id=community_id, period=period)
    existing = await _existing(session, community_id, period)
    names = names or dict((await session.execute(select(FeeItem.id, FeeItem.name).where(
        FeeItem.community_id == community_id))).all())
    preview = RunPreview(community_id=community_id, period=period)
    for line in lines:
        if (line.fee_item_id, line.subject) in existing:
            preview.existing_lines += 1
            continue
        preview.new_lines += 1
        preview.new_fen += line.amount_fen
        totals = preview.by_item.setdefault(names.get(line.fee_item_id, "?"), [0, 0])
        totals[0] += 1
        totals[1] += line.amount_fen
    return preview


async def _start_run(sessions: async_sessionmaker[AsyncSession], community_id: int, period: str,
                     started_by: str) -> tuple[int, bool]:
    """The run row of (community, period), created once even when two runs start together; and whether it is
    new (nothing of this run inserted yet)."""
    async with transaction(sessions) as session:
        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        created = await session.execute(insert(BillRun).values(
            community_id=community_id, period=period, status="running", started_by=started_by, started_at=utcnow(),
            bills_created=0, amount_fen=0).on_conflict_do_nothing(index_elements=["community_id", "period"])
            .returning(BillRun.id))
        new_id = created.scalar()
        if new_id is not None:
            return new_id, True
        return await session.scalar(select(BillRun.id).where(BillRun.community_id == community_id,
                                                             BillRun.period == period)), False


def _batches(rows: list[_Row], size: int) -> Iterable[list[_Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


async def generate_bills(sessions: async_sessionmaker[AsyncSession], *, period: str,
                         community_ids: list[int] | None = None, started_by: str = "system",
                         on_plan: Callable[[int], None] | None = None,
                         on_progress: Callable[[int], None] | None = None,
                         batch_size: int = BATCH_SIZE) -> list[BillRun]:
    """Create the missing bill lines of `period` for the given communities (default: all); returns the runs.
    `on_plan(n)` hears how many lines are still to insert, `on_progress(k)` the lines each batch inserted.

    On PostgreSQL the common lines (see _Plan) are written by SQL, households numbered into batches of at most
    `batch_size` lines, one INSERT … SELECT each; every other line (prorated, parking, metered) is planned in Python
    and copied in, `batch_size` a transaction."""
    async with sessions() as session:
        set_based = session.bind.dialect.name == "postgresql"
        if community_ids is None:
            community_ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
        planned: list[tuple[int, int, dict[str, object], list[tuple[int, int, int]], list[Line]]] = []
        for community_id in community_ids:
            run_id, new = await _start_run(sessions, community_id, period, started_by)
            plan = await _plan(session, community_id=community_id, period=period, set_based=set_based)
            parameters = _common_parameters(community_id, period, plan)
            # a new run skips the look-ups: lines made outside it (one-off, demo) are skipped by ON CONFLICT
            batches = await _common_batches(session, parameters, max(1, batch_size // max(1, len(plan.common))),
                                            only_missing=not new)
            existing = set() if new else await _existing(session, community_id, period, plan)
            missing = [line for line in plan.lines if (line.fee_item_id, line.subject) not in existing]
            planned.append((community_id, run_id, parameters, batches, missing))
    if on_plan is not None:
        on_plan(sum(lines for *_, batches, _ in planned for *_, lines in batches)
                + sum(len(missing) for *_, missing in planned))
    runs: list[BillRun] = []
    for community_id, run_id, parameters, batches, missing in planned:
        for first, last, _ in batches:
            async with transaction(sessions) as session:
                inserted = (await session.execute(_COMMON_INSERT, {
                    **parameters, "first": first, "last": last, "status": UNPAID, "run_id": run_id,
                    "now": utcnow()})).rowcount
            if on_progress is not None:
                on_progress(inserted)
        for batch in _batches(missing, batch_size):
            async with transaction(sessions) as session:
                await _insert_batch(session, batch, run_id)
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


async def insert_lines(session: AsyncSession, lines: list[Line]) -> int:
    """Insert planned lines inside the caller's transaction (the demo seed, tests); existing ones are skipped."""
    if not lines:
        return 0
    before = await session.scalar(select(func.count(Bill.id)))
    await _insert_batch(session, lines, None)
    return (await session.scalar(select(func.count(Bill.id)))) - before
