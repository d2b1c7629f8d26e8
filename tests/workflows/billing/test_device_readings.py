"""Smart meters feed billing's metered fees: the last device reading of each household's water meter in a billing
month (local time) becomes that month's 水费 reading (source "device"), readings outside the month are not used, a
reading billing would refuse (lower than last month's) is listed and not saved, and `linli bills device-readings`
does the same from a shell."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from tests.services import LINLI, linli_env
from tests.workflows.billing.factories import billing_demo
from workflows.billing.device_readings import month_bounds, record_device_readings
from workflows.billing.models import FeeItem, MeterReading
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import Device


async def _device_readings(runtime, *values_at: tuple[str, datetime]) -> None:
    async with transaction(runtime.sessions) as session:
        meter = await session.scalar(select(Device).where(Device.code == "meter-b1-101-water"))
        for value, at in values_at:
            await devices.record_reading(session, device=meter, value=Decimal(value), read_at=at)


async def _billing_reading(runtime, household_id: int, item_id: int, period: str) -> MeterReading | None:
    async with runtime.sessions() as session:
        return await session.scalar(select(MeterReading).where(
            MeterReading.household_id == household_id, MeterReading.fee_item_id == item_id,
            MeterReading.period == period))


def test_a_billing_month_is_its_local_calendar_month():
    start, end = month_bounds("2026-12")
    assert start.astimezone(UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)


async def test_the_months_last_device_reading_becomes_the_water_fees_reading(runtime):
    demo = await billing_demo(runtime)
    await _device_readings(runtime, ("205.100", datetime(2026, 12, 3, 1, tzinfo=UTC)),
                           ("210.456", datetime(2026, 12, 31, 15, 59, tzinfo=UTC)),  # 23:59 on 31 Dec, local
                           ("299.000", datetime(2026, 12, 31, 16, 0, tzinfo=UTC)))  # 1 Jan local: next month
    async with transaction(runtime.sessions) as session:
        item = await session.get(FeeItem, demo.items["水费"])
        result = await record_device_readings(session, item=item, period="2026-12", meter_type="water")
        power = await record_device_readings(session, item=item, period="2026-12", meter_type="electricity")
    assert result.recorded == 1 and result.refused == [] and power.recorded == 0  # only the meters named
    reading = await _billing_reading(runtime, demo.household_id, demo.items["水费"], "2026-12")
    assert reading.value == Decimal("210.46") and reading.source == "device"
    assert reading.recorded_by == "devices:meter-b1-101-water"


async def test_a_reading_billing_would_refuse_is_listed_not_saved(runtime):
    demo = await billing_demo(runtime)
    await _device_readings(runtime, ("1.000", datetime(2026, 12, 10, tzinfo=UTC)))  # below November's reading
    async with transaction(runtime.sessions) as session:
        item = await session.get(FeeItem, demo.items["水费"])
        result = await record_device_readings(session, item=item, period="2026-12", meter_type="water")
    assert result.recorded == 0 and [household for household, _ in result.refused] == [demo.household_id]
    assert await _billing_reading(runtime, demo.household_id, demo.items["水费"], "2026-12") is None


async def test_the_cli_records_device_readings(runtime, settings):
    demo = await billing_demo(runtime)
    await _device_readings(runtime, ("207.000", datetime(2026, 12, 15, tzinfo=UTC)))
    done = await asyncio.to_thread(
        subprocess.run, [str(LINLI), "bills", "device-readings", "--period", "2026-12", "--item", "水费",
                         "--meter", "water"], env=linli_env(settings), capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == 0, done.stderr
    assert "1 readings recorded" in done.stdout
    assert (await _billing_reading(runtime, demo.household_id, demo.items["水费"], "2026-12")).value == 207
