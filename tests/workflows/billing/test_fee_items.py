"""Bad values for fee items, readings and one-off charges are refused with the field they belong to; nothing saved."""

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.workflows.billing.factories import billing_demo
from workflows.billing.models import Bill, FeeItem, MeterReading
from workflows.billing.service import (
    BillingInputError,
    FeeItemInput,
    add_one_off_charge,
    create_fee_item,
    record_meter_reading,
)
from workflows.community.models import Household
from workflows.db import transaction


def _item(**changes) -> FeeItemInput:
    values = {"name": "电梯费", "kind": "fixed", "unit_price": "15", "unit": "户", "effective_from": date(2027, 1, 1)}
    values.update(changes)
    return FeeItemInput(**values)


@pytest.mark.parametrize(("changes", "field"), [
    ({"unit_price": "-2.8"}, "unit_price"),
    ({"unit_price": "0"}, "unit_price"),
    ({"unit_price": "abc"}, "unit_price"),
    ({"unit_price": "NaN"}, "unit_price"),
    ({"kind": "area", "unit_price": "280"}, "unit_price"),  # 280 元/㎡/月: an extra zero
    ({"name": " "}, "name"),
    ({"due_day": "31"}, "due_day"),
    ({"effective_to": date(2026, 12, 31)}, "effective_to"),
    ({"late_fee_daily_rate": "0.5"}, "late_fee_daily_rate"),
    ({"late_fee_cap_rate": "3"}, "late_fee_cap_rate"),
    ({"kind": "barter"}, "kind"),
])
async def test_a_bad_fee_item_is_refused_beside_its_field(runtime, changes, field):
    demo = await billing_demo(runtime)
    with pytest.raises(BillingInputError) as refused:
        async with transaction(runtime.sessions) as session:
            await create_fee_item(session, community_id=demo.community_id, data=_item(**changes))
    assert refused.value.field == field and refused.value.message
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(FeeItem.id)).where(FeeItem.name == "电梯费")) == 0


async def test_an_overlapping_fee_item_of_the_same_name_is_refused(any_runtime):
    demo = await billing_demo(any_runtime)
    with pytest.raises(BillingInputError) as refused:
        async with transaction(any_runtime.sessions) as session:  # 物业费 is in force from 2026-01-01, open-ended
            await create_fee_item(session, community_id=demo.community_id,
                                  data=_item(name="物业费", kind="area", unit_price="3.20"))
    assert refused.value.field == "effective_from" and "重叠" in refused.value.message
    async with transaction(any_runtime.sessions) as session:  # closing the old price first makes room
        old = await session.get(FeeItem, demo.items["物业费"])
        old.effective_to = date(2026, 12, 31)
        await create_fee_item(session, community_id=demo.community_id,
                              data=_item(name="物业费", kind="area", unit_price="3.20"))
        # and the same name in another community is another item
        await create_fee_item(session, community_id=demo.other_community_id, data=_item())


async def test_a_meter_reading_lower_than_the_last_is_refused(any_runtime):
    demo = await billing_demo(any_runtime)
    async with any_runtime.sessions() as session:
        last = await session.scalar(select(MeterReading).where(
            MeterReading.household_id == demo.household_id, MeterReading.period == "2026-11"))
    with pytest.raises(BillingInputError) as refused:
        async with transaction(any_runtime.sessions) as session:
            await record_meter_reading(session, household=await session.get(Household, demo.household_id),
                                       item=await session.get(FeeItem, demo.items["水费"]), period="2026-12",
                                       value=last.value - 1)
    assert refused.value.field == "value" and "低于上期" in refused.value.message
    for bad in ("-1", "十二"):
        with pytest.raises(BillingInputError):
            async with transaction(any_runtime.sessions) as session:
                await record_meter_reading(session, household=await session.get(Household, demo.household_id),
                                           item=await session.get(FeeItem, demo.items["水费"]), period="2026-12",
                                           value=bad)
    async with transaction(any_runtime.sessions) as session:
        reading = await record_meter_reading(session, household=await session.get(Household, demo.household_id),
                                             item=await session.get(FeeItem, demo.items["水费"]), period="2026-12",
                                             value=last.value + 12)
    assert reading.value == last.value + 12


async def test_a_reading_for_a_fee_item_that_is_not_metered_is_refused(runtime):
    demo = await billing_demo(runtime)
    with pytest.raises(BillingInputError) as refused:
        async with transaction(runtime.sessions) as session:
            await record_meter_reading(session, household=await session.get(Household, demo.household_id),
                                       item=await session.get(FeeItem, demo.items["物业费"]), period="2026-12",
                                       value="10")
    assert refused.value.field == "fee_item_id"


async def test_a_one_off_charge_is_one_line_and_bad_amounts_are_refused(runtime):
    demo = await billing_demo(runtime)
    async with transaction(runtime.sessions) as session:
        item = await create_fee_item(session, community_id=demo.community_id,
                                     data=_item(name="装修垃圾清运", kind="one_off", unit_price="200"))
        household = await session.get(Household, demo.household_id)
        bill = await add_one_off_charge(session, household=household, item=item, period="2026-12",
                                        amount_yuan="200.005")
        item_id = item.id
    assert bill.amount_fen == 20001
    for amount, field in (("0", "amount"), ("-5", "amount"), ("2000000", "amount"), ("两百", "amount"),
                          ("200", "fee_item_id")):
        with pytest.raises(BillingInputError) as refused:
            async with transaction(runtime.sessions) as session:
                await add_one_off_charge(session, household=await session.get(Household, demo.household_id),
                                         item=await session.get(FeeItem, item_id), period="2026-12",
                                         amount_yuan=amount)
        assert refused.value.field == field
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(Bill.id)).where(Bill.fee_item_id == item_id)) == 1
