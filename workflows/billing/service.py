"""The only code that changes fee items, meter readings and one-off charges; every bad value is refused with the
field it belongs to (BillingInputError.field), so forms show the reason beside that field and nothing is saved.

Bill runs are in generation.py; paying bills (orders, settling) in payments.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.service import record_event
from workflows.billing import messages as text
from workflows.billing.models import Bill, BillStatus, Cycle, FeeItem, FeeKind, MeterReading, PaymentMode
from workflows.billing.pricing import due_date, month_end, parse_period, to_fen
from workflows.community.models import Household

# Above these a unit price is a typing slip (an extra zero), not a price: 元 per unit per month.
MAX_UNIT_PRICE = {FeeKind.AREA: Decimal("50"), FeeKind.FIXED: Decimal("2000"), FeeKind.PARKING: Decimal("5000"),
                  FeeKind.METERED: Decimal("50"), FeeKind.ONE_OFF: Decimal("100000")}
MAX_ONE_OFF_FEN = 100_000_000  # 100 万元


class BillingInputError(ValueError):
    """A value staff (or a file, or a meter) gave that cannot be saved; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class FeeItemInput:
    """A fee item as a form or the CLI gives it: strings or values; `validate_fee_item` turns it into columns."""

    name: str
    kind: str
    unit_price: Any
    unit: str = ""
    cycle: str = "monthly"
    mode: str = "prepaid"
    due_day: Any = 15
    effective_from: date | None = None
    effective_to: date | None = None
    late_fee_daily_rate: Any = "0"
    late_fee_grace_days: Any = 0
    late_fee_cap_rate: Any = "0"


def _decimal(value: Any, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BillingInputError(field, message) from None
    if not number.is_finite():
        raise BillingInputError(field, message)
    return number


def _int(value: Any, field: str, message: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BillingInputError(field, message) from None
    if not low <= number <= high:
        raise BillingInputError(field, message)
    return number


def validate_fee_item(data: FeeItemInput) -> dict[str, Any]:
    """Column values for a fee item, or BillingInputError naming the first bad field."""
    name = (data.name or "").strip()
    if not name or len(name) > 40:
        raise BillingInputError("name", text.NAME_REQUIRED)
    try:
        kind = FeeKind(data.kind)
        cycle, mode = Cycle(data.cycle), PaymentMode(data.mode)
    except ValueError:
        raise BillingInputError("kind", text.KIND_UNKNOWN) from None
    price = _decimal(data.unit_price, "unit_price", text.PRICE_NOT_NUMBER)
    if price <= 0:
        raise BillingInputError("unit_price", text.PRICE_NEGATIVE)
    if price > MAX_UNIT_PRICE[kind]:
        raise BillingInputError("unit_price", text.PRICE_ABSURD.format(price=price, unit=data.unit or "单位",
                                                                       limit=MAX_UNIT_PRICE[kind]))
    due_day = _int(data.due_day, "due_day", text.DUE_DAY, 1, 28)
    start = data.effective_from or date.today()
    if data.effective_to is not None and data.effective_to < start:
        raise BillingInputError("effective_to", text.DATES_ORDER)
    rate = _decimal(data.late_fee_daily_rate or "0", "late_fee_daily_rate", text.LATE_RATE)
    if not Decimal("0") <= rate <= Decimal("0.01"):
        raise BillingInputError("late_fee_daily_rate", text.LATE_RATE)
    cap = _decimal(data.late_fee_cap_rate or "0", "late_fee_cap_rate", text.LATE_CAP)
    if not Decimal("0") <= cap <= Decimal("1"):
        raise BillingInputError("late_fee_cap_rate", text.LATE_CAP)
    grace = _int(data.late_fee_grace_days or 0, "late_fee_grace_days", text.GRACE_DAYS, 0, 365)
    return {"name": name, "kind": kind, "unit_price": price, "unit": (data.unit or "").strip()[:12],
            "cycle": cycle, "mode": mode, "due_day": due_day, "effective_from": start,
            "effective_to": data.effective_to, "late_fee_daily_rate": rate, "late_fee_grace_days": grace,
            "late_fee_cap_rate": cap}


async def _refuse_overlap(session: AsyncSession, *, community_id: int, values: dict[str, Any],
                          exclude_id: int | None) -> None:
    """Two items of the same name in force on the same day would bill a household twice."""
    query = select(FeeItem).where(FeeItem.community_id == community_id, FeeItem.name == values["name"],
                                  FeeItem.active.is_(True))
    if exclude_id is not None:
        query = query.where(FeeItem.id != exclude_id)
    for other in await session.scalars(query):
        starts_before_other_ends = other.effective_to is None or values["effective_from"] <= other.effective_to
        ends_after_other_starts = values["effective_to"] is None or values["effective_to"] >= other.effective_from
        if starts_before_other_ends and ends_after_other_starts:
            raise BillingInputError("effective_from", text.OVERLAP.format(name=other.name,
                                                                          start=other.effective_from))


async def create_fee_item(session: AsyncSession, *, community_id: int, data: FeeItemInput,
                          actor: str = "system") -> FeeItem:
    """Add a fee item after validating every field and refusing an overlap with the same name."""
    values = validate_fee_item(data)
    await _refuse_overlap(session, community_id=community_id, values=values, exclude_id=None)
    item = FeeItem(community_id=community_id, **values)
    session.add(item)
    await session.flush()
    record_event(session, entity_type="fee_item", entity_id=item.id, action="create", actor=actor,
                 community_id=community_id, data={"name": item.name, "unit_price": str(item.unit_price)})
    return item


async def update_fee_item(session: AsyncSession, *, item: FeeItem, data: FeeItemInput,
                          actor: str = "system") -> FeeItem:
    """Change a fee item (bills already generated keep their price: they are rows)."""
    values = validate_fee_item(data)
    await _refuse_overlap(session, community_id=item.community_id, values=values, exclude_id=item.id)
    before = {"unit_price": str(item.unit_price), "effective_to": str(item.effective_to)}
    for name, value in values.items():
        setattr(item, name, value)
    await session.flush()
    record_event(session, entity_type="fee_item", entity_id=item.id, action="edit", actor=actor,
                 community_id=item.community_id,
                 data={"before": before, "after": {"unit_price": str(item.unit_price),
                                                   "effective_to": str(item.effective_to)}})
    return item


async def record_meter_reading(session: AsyncSession, *, household: Household, item: FeeItem, period: str,
                               value: Any, source: str = "staff", recorded_by: str = "") -> MeterReading:
    """Store (or correct) a reading; lower than the previous month's or higher than a later one → refused."""
    if item.kind != FeeKind.METERED:
        raise BillingInputError("fee_item_id", text.READING_NOT_METERED.format(name=item.name))
    if item.community_id != household.community_id:
        raise BillingInputError("household_id", text.WRONG_COMMUNITY)
    try:
        parse_period(period)
    except ValueError:
        raise BillingInputError("period", text.PERIOD_FORMAT) from None
    number = _decimal(value, "value", text.READING_NOT_NUMBER)
    if number < 0:
        raise BillingInputError("value", text.READING_NEGATIVE)
    same = (MeterReading.household_id == household.id, MeterReading.fee_item_id == item.id)
    previous = await session.scalar(select(MeterReading).where(*same, MeterReading.period < period)
                                    .order_by(MeterReading.period.desc()).limit(1))
    if previous is not None and number < previous.value:
        raise BillingInputError("value", text.READING_LOWER.format(value=number, period=previous.period,
                                                                   previous=previous.value))
    following = await session.scalar(select(MeterReading).where(*same, MeterReading.period > period)
                                     .order_by(MeterReading.period).limit(1))
    if following is not None and number > following.value:
        raise BillingInputError("value", text.READING_HIGHER_THAN_NEXT.format(value=number, period=following.period,
                                                                              next=following.value))
    reading = await session.scalar(select(MeterReading).where(*same, MeterReading.period == period))
    if reading is None:
        reading = MeterReading(community_id=household.community_id, household_id=household.id,
                               fee_item_id=item.id, period=period, value=number)
        session.add(reading)
    reading.value, reading.source, reading.recorded_by = number, source, recorded_by
    await session.flush()
    return reading


async def add_one_off_charge(session: AsyncSession, *, household: Household, item: FeeItem, period: str,
                             amount_yuan: Any, note: str = "", actor: str = "system") -> Bill:
    """A one-off charge (一次性收费) as a bill line of its own, unique per (household, item, billing month)."""
    if item.community_id != household.community_id:
        raise BillingInputError("household_id", text.WRONG_COMMUNITY)
    try:
        year, month = parse_period(period)
    except ValueError:
        raise BillingInputError("period", text.PERIOD_FORMAT) from None
    amount = to_fen(_decimal(amount_yuan, "amount", text.AMOUNT_INVALID))
    if not 0 < amount <= MAX_ONE_OFF_FEN:
        raise BillingInputError("amount", text.AMOUNT_INVALID)
    subject = f"h{household.id}"
    if await session.scalar(select(Bill.id).where(Bill.fee_item_id == item.id, Bill.subject == subject,
                                                  Bill.period == period)) is not None:
        raise BillingInputError("fee_item_id", text.ONE_OFF_EXISTS)
    bill = Bill(community_id=household.community_id, building_id=household.building_id, household_id=household.id,
                fee_item_id=item.id, subject=subject, period=period, service_start=date(year, month, 1),
                service_end=month_end(year, month), quantity=Decimal("1"), unit_price=Decimal(amount) / 100,
                amount_fen=amount, due_date=due_date(period, item.due_day), status=BillStatus.UNPAID,
                description=(note or item.name)[:120])
    session.add(bill)
    await session.flush()
    record_event(session, entity_type="bill", entity_id=bill.id, action="one_off", actor=actor,
                 community_id=bill.community_id, data={"amount_fen": amount, "item": item.name})
    return bill
