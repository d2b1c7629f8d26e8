"""Bill runs (生成账单): every bill line a community owes for a billing month, as rows.

`plan_lines` works out the lines that should exist (pure reads); `generate_bills` inserts the missing ones in
batches, each batch its own transaction, so an interrupted run that is started again completes it with no
duplicates (the unique (fee item, subject, period) constraint also settles two runs racing). `preview_run` is the
same plan without writing, for the back office's preview before commit.

On PostgreSQL `generate_bills` leaves the common line — an area or fixed item in force for its whole span, for a
household none of whose owners moved in after the span began or ever moved out — to SQL: it never loads those
households, it numbers them into batches and writes each batch, all such items at once, with one INSERT … SELECT.
Only the other households (`_owner_dates`), parking spaces and meter readings are planned line by line in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple, TypeVar

from sqlalchemy import Integer, and_, any_, case, func, literal, or_, select, text, update
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
BATCH_SIZE = 30_000  # bill lines per transaction: 10 for 100,000 households × 3 items
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
    (a run of 100,000 households has 300,000 of them). `expand` makes them Lines; on PostgreSQL generate_bills
    plans only the households with moved owners this way and leaves the others to SQL (`_COMMON_INSERT`, the same
    amount rule)."""

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


async def _existing(session: AsyncSession, community_id: int, period: str,
                    plan: _Plan | None = None) -> set[tuple[int, str]]:
    """(fee item, subject) of the lines already there; with a plan, only those Python plans (not the common lines
    SQL writes: a rerun of 100,000 households need not read 300,000 keys)."""
    query = select(Bill.fee_item_id, Bill.subject).where(Bill.community_id == community_id, Bill.period == period)
    if plan is not None and plan.common:
        query = query.where(or_(Bill.fee_item_id.not_in([item.id for item, _ in plan.common]),
                                Bill.household_id == any_(literal(plan.moved, postgresql.ARRAY(Integer)))))
    rows = await session.execute(query)
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


# The common lines (see _Plan) in SQL: every household of the community not in :moved gets each common item whose
# quantity (`_QUANTITY`: the area for an area item, 1 otherwise) is positive. `_COMMON_BATCHES` numbers those
# households (with {missing}: only those still missing a line) into batches of :per_batch and gives each batch's
# first and last id and its lines; `_COMMON_INSERT` writes the lines of one batch's id range, the amount rule of
# pricing.line_amount for a full span: quantity × price × months exactly in numeric, rounded once to fen —
# PostgreSQL's round(numeric) rounds half away from zero, which is half up for these positive amounts.
# tests/workflows/billing/test_generation.py checks the rows against plan_lines.
_QUANTITY = "CASE WHEN i.by_area THEN h.area_m2 ELSE 1 END"
_COMMON_HOUSEHOLDS = """h.community_id = :community_id AND h.id NOT IN (SELECT unnest(CAST(:moved AS integer[])))"""
_MISSING = """
    AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.fee_item_id = i.item_id AND b.subject = 'h' || h.id
                                            AND b.period = :period)"""
_COMMON_BATCHES = f"""
SELECT min(id), max(id), CAST(sum(lines) AS integer) FROM (
    SELECT h.id, l.lines, (row_number() OVER (ORDER BY h.id) - 1) / :per_batch AS batch
    FROM households h
    CROSS JOIN LATERAL (
        SELECT count(*) AS lines FROM unnest(CAST(:item_ids AS integer[]), CAST(:by_area AS boolean[]))
             AS i(item_id, by_area)
        WHERE {_QUANTITY} > 0{{missing}}) l
    WHERE {_COMMON_HOUSEHOLDS} AND l.lines > 0) numbered
GROUP BY batch ORDER BY batch"""
_COMMON_INSERT = text(f"""
INSERT INTO bills ({", ".join(COLUMNS)})
SELECT h.community_id, h.building_id, h.id, NULL, i.item_id, 'h' || h.id, :period, i.service_start, i.service_end,
       q.quantity, i.unit_price, CAST(round(q.quantity * i.unit_price * i.months * 100) AS bigint), 0, i.due_date,
       :status, i.description, :run_id, :now
FROM households h
CROSS JOIN unnest(CAST(:item_ids AS integer[]), CAST(:starts AS date[]), CAST(:ends AS date[]),
                  CAST(:prices AS numeric[]), CAST(:months AS integer[]), CAST(:dues AS date[]),
                  CAST(:descriptions AS text[]), CAST(:by_area AS boolean[]))
     AS i(item_id, service_start, service_end, unit_price, months, due_date, description, by_area)
CROSS JOIN LATERAL (SELECT {_QUANTITY} AS quantity) q
WHERE {_COMMON_HOUSEHOLDS} AND h.id BETWEEN :first AND :last AND q.quantity > 0
ON CONFLICT (fee_item_id, subject, period) DO NOTHING""")


def _common_parameters(community_id: int, period: str, plan: _Plan) -> dict[str, object]:
    items = [(item, span, *_item_constants(item.name, item.due_day, period, span)) for item, span in plan.common]
    return {"community_id": community_id, "period": period, "moved": plan.moved,
            "item_ids": [item.id for item, *_ in items], "starts": [span.start for _, span, *_ in items],
            "ends": [span.end for _, span, *_ in items], "prices": [item.unit_price for item, *_ in items],
            "months": [span.months for _, span, *_ in items], "dues": [due for *_, due, _ in items],
            "descriptions": [description for *_, description in items],
            "by_area": [item.kind == FeeKind.AREA for item, *_ in items]}


async def _common_batches(session: AsyncSession, parameters: dict[str, object], per_batch: int,
                          only_missing: bool) -> list[tuple[int, int, int]]:
    """(first household id, last household id, lines) of each batch of the common lines; with `only_missing`
    (a run continued or racing another) only households still missing one of their lines are counted."""
    if not parameters["item_ids"]:
        return []
    query = text(_COMMON_BATCHES.format(missing=_MISSING if only_missing else ""))
    return [tuple(row) for row in (await session.execute(query, {**parameters, "per_batch": per_batch})).all()]


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
