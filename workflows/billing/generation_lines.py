"""Bill lines (账单行) as planned in Python: the `Line` tuple, the payer it is for, and the pricing of one fee item's
lines for the households of a community — `FullSpan` for those paying the whole span, `_per_household` for the
prorated rest. workflows/billing/generation.py plans a run with these; generation_sql.py writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from workflows.billing.models import BillStatus, FeeItem, FeeKind
from workflows.billing.pricing import Span, covered_days, due_date, line_amount

UNPAID = BillStatus.UNPAID.value


@dataclass(frozen=True)
class _Payer:
    household_id: int
    building_id: int
    area_m2: Decimal
    since: date | None  # the owners' earliest move-in (入住)
    until: date | None  # the last owner's move-out, when every owner has moved out


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
