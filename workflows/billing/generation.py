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
from functools import lru_cache
from typing import NamedTuple, TypeVar

from sqlalchemy import and_, case, func, or_, select, text, update
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
UNPAID = BillStatus.UNPAID.value
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


@dataclass(frozen=True)
class _Payer:
    household_id: int
    building_id: int
    area_m2: Decimal
    since: date | None  # the owners' earliest move-in (入住)
    until: date | None  # the last owner's move-out, when every owner has moved out


async def _payers(session: AsyncSession, community_id: int, since: date) -> list[_Payer]:
    """Every household of the community; move-in/move-out dates only for those whose owners moved in after
    `since` or have moved out (everyone else pays full periods, and a bill run of 100,000 households should not
    aggregate 100,000 residents' dates to learn that)."""
    households = (await session.execute(
        select(Household.id, Household.building_id, Household.area_m2)
        .where(Household.community_id == community_id).order_by(Household.id))).all()
    owners = and_(Resident.household_id == Household.id, Resident.role == ResidentRole.OWNER)
    moved = (select(Resident.household_id).where(Resident.community_id == community_id,
                                                 Resident.role == ResidentRole.OWNER,
                                                 or_(Resident.move_in > since, Resident.move_out.is_not(None))))
    all_moved_out = and_(func.count(Resident.id) > 0, func.count(Resident.move_out) == func.count(Resident.id))
    dates = {household_id: (move_in, move_out) for household_id, move_in, move_out in (await session.execute(
        select(Household.id, func.min(Resident.move_in), case((all_moved_out, func.max(Resident.move_out)),
                                                              else_=None))
        .join(Resident, owners).where(Household.id.in_(moved)).group_by(Household.id))).all()}
    return [_Payer(household_id, building_id, area, *dates.get(household_id, (None, None)))
            for household_id, building_id, area in households]


class Line(NamedTuple):
    """A planned bill line, its fields in the order of COLUMNS (run_id and created_at are added on insert)."""

    community_id: int
    building_id: int
    household_id: int
    space_id: int | None
    fee_item_id: int
    subject: str
    period: str
    service_start: date
    service_end: date
    quantity: Decimal
    unit_price: Decimal
    amount_fen: int
    late_fee_fen: int
    due_date: date
    status: str
    description: str


@lru_cache(maxsize=256)
def _item_constants(name: str, due_day: int, period: str, span: Span) -> tuple[date, str]:
    """What every line of one item in one run shares: its due date and the description's start."""
    return due_date(period, due_day), f"{name} {span.start:%Y-%m}" + (f"～{span.end:%Y-%m}" if span.months > 1 else "")


def _line(item: FeeItem, payer: _Payer, period: str, span: Span, quantity: Decimal, amount: int, *,
          subject: str, space_id: int | None = None, start: date | None = None, end: date | None = None,
          note: str = "") -> Line:
    due, description = _item_constants(item.name, item.due_day, period, span)
    return Line(item.community_id, payer.building_id, payer.household_id, space_id, item.id, subject, period,
                start or span.start, end or span.end, quantity, item.unit_price, amount, 0, due, UNPAID,
                description + note)


@dataclass(frozen=True)
class FullSpan:
    """The lines of one area/fixed item for the households paying its whole span, unprorated — the common case
    (a run of 100,000 households has 300,000 of them). `expand` makes them Lines; on PostgreSQL `_insert_full`
    writes them with one INSERT … SELECT per batch instead, applying the same amount rule in SQL."""

    item: FeeItem
    period: str
    span: Span
    payers: list[_Payer]

    def expand(self) -> list[Line]:
        item, span, price, one = self.item, self.span, self.item.unit_price, Decimal("1")
        due, description = _item_constants(item.name, item.due_day, self.period, span)
        by_area, amounts = item.kind == FeeKind.AREA, {}
        lines = []
        for payer in self.payers:
            quantity = payer.area_m2 if by_area else one
            amount = amounts.get(quantity)
            if amount is None:
                amount = amounts[quantity] = line_amount(quantity, price, span, span.days)
            lines.append(Line(item.community_id, payer.building_id, payer.household_id, None, item.id,
                              f"h{payer.household_id}", self.period, span.start, span.end, quantity, price, amount,
                              0, due, UNPAID, description))
        return lines


def _per_household(item: FeeItem, payers: list[_Payer], period: str, span: Span) -> tuple[FullSpan, list[Line]]:
    """物业费 by area and fixed charges: the households paying the full span (no proration), and the lines of the
    others, prorated by move-in/out and the item's effective dates."""
    in_force = (item.effective_from, item.effective_to)
    by_area, one = item.kind == FeeKind.AREA, Decimal("1")
    full_item = covered_days(span, in_force) == span.days
    full, prorated = [], []
    for payer in payers:
        quantity = payer.area_m2 if by_area else one
        if quantity <= 0:
            continue
        if full_item and (payer.since is None or payer.since <= span.start) and (
                payer.until is None or payer.until >= span.end):
            full.append(payer)
            continue
        days = covered_days(span, in_force, (payer.since, payer.until))
        if days:
            start, end = _clip(span, in_force, (payer.since, payer.until))
            prorated.append(_line(item, payer, period, span, quantity, line_amount(quantity, item.unit_price, span,
                                                                                   days),
                                  subject=f"h{payer.household_id}", start=start, end=end))
    return FullSpan(item, period, span, full), prorated


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


async def plan_lines(session: AsyncSession, *, community_id: int, period: str) -> list[Line]:
    """Every bill line the community owes for billing month `period` under the items in force then."""
    full, lines = await _plan(session, community_id=community_id, period=period)
    return [line for group in full for line in group.expand()] + lines


async def _plan(session: AsyncSession, *, community_id: int, period: str) -> tuple[list[FullSpan], list[Line]]:
    """plan_lines, with the unprorated household lines kept as FullSpan groups."""
    items = list(await session.scalars(select(FeeItem).where(
        FeeItem.community_id == community_id, FeeItem.active.is_(True), FeeItem.kind.in_(GENERATED_KINDS))
        .order_by(FeeItem.id)))
    spans = [span for span in (service_span(period, item.cycle, item.mode) for item in items) if span is not None]
    payers = await _payers(session, community_id, min((span.start for span in spans), default=date.max))
    by_household = {payer.household_id: payer for payer in payers}
    lines: list[Line] = []
    full: list[FullSpan] = []
    for item in items:
        span = service_span(period, item.cycle, item.mode)
        if span is None:
            continue
        in_force = (item.effective_from, item.effective_to)
        if covered_days(span, in_force) == 0:
            continue
        if item.kind in (FeeKind.AREA, FeeKind.FIXED):
            group, prorated = _per_household(item, payers, period, span)
            full.append(group)
            lines.extend(prorated)
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
    return full, lines


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
        if (line.fee_item_id, line.subject) in existing:
            preview.existing_lines += 1
            continue
        preview.new_lines += 1
        preview.new_fen += line.amount_fen
        totals = preview.by_item.setdefault(names.get(line.fee_item_id, "?"), [0, 0])
        totals[0] += 1
        totals[1] += line.amount_fen
    return preview


COLUMNS = ("community_id", "building_id", "household_id", "space_id", "fee_item_id", "subject", "period",
           "service_start", "service_end", "quantity", "unit_price", "amount_fen", "late_fee_fen", "due_date",
           "status", "description", "run_id", "created_at")


async def _insert_batch(session: AsyncSession, lines: list[Line], run_id: int | None) -> None:
    """Insert lines, skipping any (fee item, subject, period) already there. PostgreSQL: COPY into a temporary
    table, then one INSERT … SELECT … ON CONFLICT DO NOTHING (the COPY protocol is what makes 300,000 lines take
    seconds); SQLite: a multi-row INSERT … ON CONFLICT DO NOTHING."""
    now = utcnow()
    records = [(*line, run_id, now) for line in lines]
    if session.bind.dialect.name != "postgresql":
        await session.execute(sqlite.insert(Bill.__table__).on_conflict_do_nothing(
            index_elements=["fee_item_id", "subject", "period"]), [dict(zip(COLUMNS, r, strict=True)) for r in records])
        return
    await session.execute(select(1))  # opens the transaction the raw connection then works in
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    columns = ", ".join(COLUMNS)
    await driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS incoming_bills ON COMMIT DELETE ROWS AS "
                         f"SELECT {columns} FROM bills WITH NO DATA")
    await driver.copy_records_to_table("incoming_bills", columns=list(COLUMNS), records=records)
    await driver.execute(f"INSERT INTO bills ({columns}) SELECT {columns} FROM incoming_bills "
                         f"ON CONFLICT (fee_item_id, subject, period) DO NOTHING")
    await driver.execute("DELETE FROM incoming_bills")


# The amount rule of pricing.line_amount for a full span, in SQL: quantity × price × months exactly in numeric,
# rounded once to fen; PostgreSQL's round(numeric) rounds half away from zero, which is half up for these positive
# amounts. tests/workflows/billing/test_generation.py checks it gives FullSpan.expand()'s rows to the fen.
_FULL_SPAN_INSERT = text(f"""
INSERT INTO bills ({", ".join(COLUMNS)})
SELECT h.community_id, h.building_id, h.id, NULL, :item_id, 'h' || h.id, :period, :start, :end, q.quantity,
       CAST(:price AS numeric), CAST(round(q.quantity * CAST(:price AS numeric) * :months * 100) AS bigint), 0,
       :due, :status, :description, :run_id, :now
FROM households h
CROSS JOIN LATERAL (SELECT CASE WHEN :by_area THEN h.area_m2 ELSE 1 END AS quantity) q
WHERE h.id = ANY(:household_ids)
ON CONFLICT (fee_item_id, subject, period) DO NOTHING""")


async def _insert_full(session: AsyncSession, group: FullSpan, household_ids: list[int], run_id: int | None) -> None:
    """Insert one batch of a FullSpan group on PostgreSQL with one INSERT … SELECT (lines already there skipped)."""
    item, span = group.item, group.span
    due, description = _item_constants(item.name, item.due_day, group.period, span)
    await session.execute(_FULL_SPAN_INSERT, {
        "item_id": item.id, "period": group.period, "start": span.start, "end": span.end, "price": item.unit_price,
        "months": span.months, "due": due, "status": UNPAID, "description": description, "run_id": run_id,
        "now": utcnow(), "by_area": item.kind == FeeKind.AREA, "household_ids": household_ids})


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
    `on_plan(n)` hears how many lines are still to insert, `on_progress(k)` each batch inserted.

    On PostgreSQL the unprorated household lines (FullSpan) are written set-based, `batch_size` households of one
    item per INSERT … SELECT; every other line (prorated, parking, metered) is planned in Python and copied in."""
    async with sessions() as session:
        set_based = session.bind.dialect.name == "postgresql"
        if community_ids is None:
            community_ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
        planned: list[tuple[int, int, list[tuple[FullSpan, list[int]]], list[Line]]] = []
        for community_id in community_ids:
            run_id, new = await _start_run(sessions, community_id, period, started_by)
            # a new run skips the look-up: lines made outside it (one-off, demo) are skipped by ON CONFLICT
            existing = set() if new else await _existing(session, community_id, period)
            full, lines = await _plan(session, community_id=community_id, period=period)
            if not set_based:
                full, lines = [], [line for group in full for line in group.expand()] + lines
            groups = [(group, [payer.household_id for payer in group.payers
                               if (group.item.id, f"h{payer.household_id}") not in existing]) for group in full]
            missing = [line for line in lines if (line.fee_item_id, line.subject) not in existing]
            planned.append((community_id, run_id, groups, missing))
    if on_plan is not None:
        on_plan(sum(len(ids) for _, _, groups, _ in planned for _, ids in groups)
                + sum(len(missing) for _, _, _, missing in planned))
    runs: list[BillRun] = []
    for community_id, run_id, groups, missing in planned:
        for group, household_ids in groups:
            for batch in _batches(household_ids, batch_size):
                async with transaction(sessions) as session:
                    await _insert_full(session, group, batch, run_id)
                if on_progress is not None:
                    on_progress(len(batch))
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
