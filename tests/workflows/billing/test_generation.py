"""Bill runs: rows unique per (subject, fee item, period), reruns and interrupted runs add no duplicates, proration
for move-in/move-out, rented spaces and meter readings; on SQLite and PostgreSQL."""

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tests.workflows.billing.factories import billing_demo
from workflows.billing.generation import generate_bills, plan_lines, preview_run
from workflows.billing.models import Bill, BillRun, FeeItem
from workflows.community.models import Building, Household, Resident, ResidentRole
from workflows.db import transaction


async def _count(runtime, **where) -> int:
    async with runtime.sessions() as session:
        query = select(func.count(Bill.id))
        for name, value in where.items():
            query = query.where(getattr(Bill, name) == value)
        return await session.scalar(query)


async def test_the_demo_has_bills_for_zhang_weis_household(runtime):
    demo = await billing_demo(runtime)
    async with runtime.sessions() as session:
        bills = list(await session.scalars(select(Bill).where(Bill.household_id == demo.household_id,
                                                              Bill.period == "2026-12")))
    names = sorted(bill.fee_item.name for bill in bills)
    assert names == ["垃圾处理费", "月租车位", "水费", "物业费"]
    water = next(bill for bill in bills if bill.fee_item.name == "水费")
    assert (water.service_start, water.service_end) == (date(2026, 11, 1), date(2026, 11, 30))  # 后付
    assert all(isinstance(bill.amount_fen, int) and bill.amount_fen > 0 for bill in bills)


async def test_a_rerun_creates_nothing_new(any_runtime):
    before = await _count(any_runtime, period="2027-01")
    assert before == 0
    first = await generate_bills(any_runtime.sessions, period="2027-01")
    created = await _count(any_runtime, period="2027-01")
    assert created == sum(run.bills_created for run in first) > 0
    to_insert: list[int] = []
    again = await generate_bills(any_runtime.sessions, period="2027-01", on_plan=to_insert.append)
    assert to_insert == [0]  # the progress bar's total: nothing is missing
    assert await _count(any_runtime, period="2027-01") == created
    assert [run.bills_created for run in again] == [run.bills_created for run in first]
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(BillRun.id)).where(BillRun.period == "2027-01")) == 2


async def test_an_interrupted_run_completes_on_rerun_without_duplicates(any_runtime):
    class Interrupted(Exception):
        pass

    batches = []

    def stop_after_two(done: int) -> None:
        batches.append(done)
        if len(batches) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        await generate_bills(any_runtime.sessions, period="2027-01", batch_size=50, on_progress=stop_after_two)
    # two batches committed (a batch is at most 50 lines: on PostgreSQL one item's unprorated households form theirs)
    assert await _count(any_runtime, period="2027-01") == sum(batches) and 50 < sum(batches) <= 100
    async with any_runtime.sessions() as session:
        run = await session.scalar(select(BillRun).where(BillRun.period == "2027-01"))
        assert run.status == "running"
    await generate_bills(any_runtime.sessions, period="2027-01", batch_size=50)
    async with any_runtime.sessions() as session:
        planned = sum([len(await plan_lines(session, community_id=c, period="2027-01"))
                       for c in (await billing_demo(any_runtime)).__dict__.values() if isinstance(c, int)][:2])
        duplicates = await session.scalar(select(func.count()).select_from(
            select(Bill.fee_item_id, Bill.subject).where(Bill.period == "2027-01")
            .group_by(Bill.fee_item_id, Bill.subject, Bill.period).having(func.count() > 1).subquery()))
    assert await _count(any_runtime, period="2027-01") == planned
    assert duplicates == 0


async def test_two_runs_racing_create_each_line_once(any_runtime):
    await asyncio.gather(generate_bills(any_runtime.sessions, period="2027-02", batch_size=40),
                         generate_bills(any_runtime.sessions, period="2027-02", batch_size=40))
    async with any_runtime.sessions() as session:
        demo = await billing_demo(any_runtime)
        planned = len(await plan_lines(session, community_id=demo.community_id, period="2027-02"))
    assert await _count(any_runtime, period="2027-02", community_id=demo.community_id) == planned


async def test_move_in_and_move_out_prorate_the_period(runtime):
    demo = await billing_demo(runtime)
    async with transaction(runtime.sessions) as session:
        await session.execute(update(Resident).where(Resident.household_id == demo.household_id,
                                                     Resident.role == ResidentRole.OWNER)
                              .values(move_in=date(2027, 1, 22), move_out=None))
        household = await session.get(Household, demo.household_id)
        area = household.area_m2
    await generate_bills(runtime.sessions, period="2027-01")
    async with runtime.sessions() as session:
        fee = await session.scalar(select(Bill).where(Bill.household_id == demo.household_id, Bill.period == "2027-01",
                                                      Bill.fee_item_id == demo.items["物业费"]))
    # 10 of January's 31 days: area × 2.80 × 10/31, rounded once
    expected = int((area * Decimal("2.80") * 10 / 31 * 100).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))
    assert (fee.service_start, fee.service_end, fee.amount_fen) == (date(2027, 1, 22), date(2027, 1, 31), expected)

    async with transaction(runtime.sessions) as session:
        await session.execute(update(Resident).where(Resident.household_id == demo.household_id,
                                                     Resident.role == ResidentRole.OWNER)
                              .values(move_out=date(2027, 2, 13)))
    await generate_bills(runtime.sessions, period="2027-02")
    await generate_bills(runtime.sessions, period="2027-03")
    async with runtime.sessions() as session:
        garbage = (Bill.household_id == demo.household_id, Bill.fee_item_id == demo.items["垃圾处理费"])
        february = await session.scalar(select(Bill).where(*garbage, Bill.period == "2027-02"))
        march = await session.scalar(select(Bill).where(*garbage, Bill.period == "2027-03"))
    assert (february.service_end, february.amount_fen) == (date(2027, 2, 13), 371)  # 8 元 × 13/28 = 3.714…
    assert march is None


async def test_a_space_rented_mid_month_pays_its_share(runtime):
    async with runtime.sessions() as session:
        demo = await billing_demo(runtime)
        november = await session.scalar(select(Bill).where(
            Bill.fee_item_id == demo.items["月租车位"], Bill.period == "2026-11", Bill.space_id.is_not(None),
            Bill.service_start == date(2026, 11, 16)))
    assert november is not None and november.amount_fen == 15000  # 300 元 × 15/30


async def test_a_fee_item_ending_stops_its_bills_and_the_preview_says_so(runtime):
    demo = await billing_demo(runtime)
    async with transaction(runtime.sessions) as session:
        await session.execute(update(FeeItem).where(FeeItem.id == demo.items["垃圾处理费"])
                              .values(effective_to=date(2027, 1, 15)))
        preview = await preview_run(session, community_id=demo.community_id, period="2027-01")
    assert preview.existing_lines == 0 and preview.new_lines > 0
    garbage_lines, garbage_fen = preview.by_item["垃圾处理费"]
    assert garbage_fen == garbage_lines * 387  # 8 元 × 15/31 = 3.870…
    await generate_bills(runtime.sessions, period="2027-01")
    async with runtime.sessions() as session:
        again = await preview_run(session, community_id=demo.community_id, period="2027-01")
    assert (again.new_lines, again.existing_lines) == (0, preview.new_lines)


async def test_generated_rows_are_exactly_the_planned_lines_including_half_up_rounding(any_runtime):
    """PostgreSQL writes the common household lines with one INSERT … SELECT (the amount rule in SQL) and plans only
    households with moved owners in Python, SQLite plans every line in Python: both must store what plan_lines says,
    to the fen — 89.50 ㎡ × 2.75 = 246.125 → 246.13 (half up) — for households moving in, moving out, with a past
    owner moved out but another still there, and with no area."""
    demo = await billing_demo(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        await session.execute(update(Household).where(Household.id == demo.household_id)
                              .values(area_m2=Decimal("89.50")))
        await session.execute(update(FeeItem).where(FeeItem.id == demo.items["物业费"])
                              .values(unit_price=Decimal("2.75")))
        owned = list(await session.scalars(select(Resident.household_id).where(
            Resident.community_id == demo.community_id, Resident.role == ResidentRole.OWNER,
            Resident.household_id != demo.household_id).group_by(Resident.household_id)
            .order_by(Resident.household_id).limit(4)))
        moving_in, moving_out, past_owner, no_area = owned
        owners = (Resident.role == ResidentRole.OWNER)
        await session.execute(update(Resident).where(Resident.household_id == moving_in, owners)
                              .values(move_in=date(2027, 1, 10)))
        await session.execute(update(Resident).where(Resident.household_id == moving_out, owners)
                              .values(move_out=date(2027, 1, 20)))
        session.add(Resident(community_id=demo.community_id, household_id=past_owner, name="前业主",
                             role=ResidentRole.OWNER, move_in=date(2015, 3, 1), move_out=date(2020, 6, 30)))
        await session.execute(update(Household).where(Household.id == no_area).values(area_m2=Decimal("0")))
    await generate_bills(any_runtime.sessions, period="2027-01", batch_size=7)
    fields = ("community_id", "building_id", "household_id", "space_id", "fee_item_id", "subject", "period",
              "service_start", "service_end", "quantity", "unit_price", "amount_fen", "late_fee_fen", "due_date",
              "status", "description")
    async with any_runtime.sessions() as session:
        planned = {tuple(getattr(line, name) for name in fields)
                   for community_id in (demo.community_id, demo.other_community_id)
                   for line in await plan_lines(session, community_id=community_id, period="2027-01")}
        stored = {tuple(getattr(bill, name) for name in fields)
                  for bill in await session.scalars(select(Bill).where(Bill.period == "2027-01"))}
        zhang = await session.scalar(select(Bill.amount_fen).where(
            Bill.household_id == demo.household_id, Bill.period == "2027-01", Bill.fee_item_id == demo.items["物业费"]))
    assert zhang == 24613
    assert len(stored) > 20 and stored == planned
    lines = {(household, start, end) for _, _, household, _, item, _, _, start, end, *_ in stored
             if item == demo.items["物业费"]}
    assert (moving_in, date(2027, 1, 10), date(2027, 1, 31)) in lines
    assert (moving_out, date(2027, 1, 1), date(2027, 1, 20)) in lines
    assert (past_owner, date(2027, 1, 1), date(2027, 1, 31)) in lines
    assert not any(household == no_area for household, _, _ in lines)
    to_insert: list[int] = []
    await generate_bills(any_runtime.sessions, period="2027-01", batch_size=7, on_plan=to_insert.append)
    assert to_insert == [0]


async def test_a_lines_building_and_community_are_its_households_and_follow_a_correction(any_runtime):
    """bills (household_id, building_id, community_id) is one foreign key into households (id, building_id,
    community_id), ON UPDATE CASCADE: a line naming another building than its household's is refused, and a
    household corrected to another building carries its bills — parking lines too, whose household is the renter."""
    demo = await billing_demo(any_runtime)
    async with any_runtime.sessions() as session:
        bill = await session.scalar(select(Bill).where(Bill.household_id == demo.household_id).limit(1))
        other = await session.scalar(select(Building.id).where(Building.community_id == demo.community_id,
                                                               Building.id != bill.building_id).limit(1))
    with pytest.raises(IntegrityError):
        async with transaction(any_runtime.sessions) as session:
            await session.execute(update(Bill).where(Bill.id == bill.id).values(building_id=other))
    with pytest.raises(IntegrityError):
        async with transaction(any_runtime.sessions) as session:
            await session.execute(update(Bill).where(Bill.id == bill.id)
                                  .values(community_id=demo.other_community_id))
    async with transaction(any_runtime.sessions) as session:
        moved_to = Building(community_id=demo.community_id, name="99栋", sort_key=99)
        session.add(moved_to)
        await session.flush()
        await session.execute(update(Household).where(Household.id == demo.household_id)
                              .values(building_id=moved_to.id))
    async with any_runtime.sessions() as session:
        lines = (await session.execute(select(Bill.subject, Bill.building_id, Bill.community_id)
                                       .where(Bill.household_id == demo.household_id))).all()
    assert {building for _, building, _ in lines} == {moved_to.id}
    assert {community for _, _, community in lines} == {demo.community_id}
    assert any(subject.startswith("s") for subject, _, _ in lines)  # the renter's parking line moved as well
