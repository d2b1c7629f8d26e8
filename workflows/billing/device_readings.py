"""Meter readings from devices (智能表) into billing's 抄表: for one billing month, each household's last reading from
its own meter of one type (water, electricity, gas; stored by the device gateway in `device_meter_readings`) becomes
that month's reading of a metered fee item, through the same `record_meter_reading` staff and imports use (source
"device"): a reading lower than the previous month's, or higher than a later one, is refused and listed, not saved.
Staff name the fee item and the meter type (水费 ← water): nothing guesses which item a meter feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import FeeItem
from workflows.billing.pricing import parse_period
from workflows.billing.service import BillingInputError, record_meter_reading
from workflows.clock import SHANGHAI
from workflows.community.models import Household
from workflows.devices.service import meter_readings

CENT = Decimal("0.01")  # billing keeps readings to two places


@dataclass
class DeviceReadingsResult:
    recorded: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (household id, why) — staff correct these by hand


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """The billing month as [start, end) in local time (Asia/Shanghai), as aware datetimes."""
    year, month = parse_period(period)
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


async def record_device_readings(session: AsyncSession, *, item: FeeItem, period: str, meter_type: str,
                                 recorded_by: str = "devices") -> DeviceReadingsResult:
    """Each household's last device reading of `meter_type` in the month → `item`'s reading for `period`."""
    since, until = month_bounds(period)
    last = {r.household_id: r for r in await meter_readings(session, community_id=item.community_id, since=since,
                                                             until=until, meter_type=meter_type)
            if r.household_id is not None}
    result = DeviceReadingsResult()
    for household_id, reading in sorted(last.items()):
        household = await session.get(Household, household_id)
        try:
            async with session.begin_nested():
                await record_meter_reading(session, household=household, item=item, period=period,
                                           value=reading.value.quantize(CENT, ROUND_HALF_UP), source="device",
                                           recorded_by=f"{recorded_by}:{reading.device_code}"[:80])
            result.recorded += 1
        except BillingInputError as exc:
            result.refused.append((household_id, str(exc)))
    return result
