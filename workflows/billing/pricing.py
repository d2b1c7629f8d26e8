"""How a bill line's amount is computed: the billing cycle's service span, proration and the one rounding rule.

The rounding rule (舍入规则): an amount is computed exactly in Decimal — quantity × unit price × months × the
prorated share of days — and rounded ONCE, to whole fen, half up (四舍五入, ROUND_HALF_UP), when it becomes a bill
line. Late fees (滞纳金) follow the same rule on their own: principal × daily rate × days late, rounded once to fen,
capped at principal × cap rate (the cap rounded the same way). Nothing is rounded in between; sums add integer fen.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from workflows.billing.models import CYCLE_MONTHS, Cycle, PaymentMode

FEN = Decimal("1")


def to_fen(yuan: Decimal) -> int:
    """Yuan (exact Decimal) → integer fen, half up. The only place money is rounded."""
    return int((yuan * 100).quantize(FEN, rounding=ROUND_HALF_UP))


def parse_yuan(text: str) -> int:
    """Yuan written by a person or a file ("368.50", "¥1,200", "8") → integer fen, exactly (Decimal); more than two
    decimals, or not a number, raises ValueError. Files are read, not rounded."""
    cleaned = text.strip().lstrip("`¥￥").replace(",", "").removesuffix("元").strip()
    try:
        fen = Decimal(cleaned) * 100
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise ValueError(f"{text!r} has more than two decimals")
    return int(fen)


def yuan(fen: int) -> str:
    """12345 → "123.45" (for people; never computed with)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def parse_period(period: str) -> tuple[int, int]:
    """"2026-12" → (2026, 12); anything else raises ValueError."""
    year_text, _, month_text = period.partition("-")
    if len(period) != 7 or not (year_text.isdigit() and month_text.isdigit()):
        raise ValueError(f"period must look like 2026-12, not {period!r}")
    year, month = int(year_text), int(month_text)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError(f"period must look like 2026-12, not {period!r}")
    return year, month


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Span:
    """The days a bill line pays for (inclusive) and how many months of price that is."""

    start: date
    end: date
    months: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def service_span(period: str, cycle: Cycle, mode: PaymentMode) -> Span | None:
    """The span billed in billing month `period`, or None when this cycle bills nothing that month.

    预付 (prepaid): the cycle that starts in the billing month (quarters start Jan/Apr/Jul/Oct, years in January).
    后付 (postpaid): the cycle that ended just before the billing month."""
    year, month = parse_period(period)
    months = CYCLE_MONTHS[cycle]
    if (month - 1) % months != 0:
        return None
    start_year, start_month = (year, month) if mode == PaymentMode.PREPAID else add_months(year, month, -months)
    end_year, end_month = add_months(start_year, start_month, months - 1)
    return Span(date(start_year, start_month, 1), month_end(end_year, end_month), months)


def covered_days(span: Span, *windows: tuple[date | None, date | None]) -> int:
    """Days of `span` inside every (from, to) window (None: unbounded): move-in/out, rental, effective dates."""
    start, end = span.start, span.end
    for since, until in windows:
        if since is not None and since > start:
            start = since
        if until is not None and until < end:
            end = until
    return max(0, (end - start).days + 1)


def line_amount(quantity: Decimal, unit_price: Decimal, span: Span, days: int) -> int:
    """quantity × price × months × days/span days, rounded once to fen (a full span is not prorated)."""
    exact = quantity * unit_price * span.months
    if days != span.days:
        exact = exact * days / span.days
    return to_fen(exact)


def due_date(period: str, due_day: int) -> date:
    """The due date in the billing month (a due day past the month's end is its last day)."""
    year, month = parse_period(period)
    return date(year, month, min(due_day, calendar.monthrange(year, month)[1]))


def late_fee(amount_fen: int, due: date, on: date, *, daily_rate: Decimal, grace_days: int,
             cap_rate: Decimal) -> int:
    """滞纳金 on `on`: counted for each day after due date + grace days; principal × rate × days, capped."""
    days = (on - (due + timedelta(days=grace_days))).days
    if days <= 0 or daily_rate <= 0 or amount_fen <= 0:
        return 0
    principal = Decimal(amount_fen)
    fee = int((principal * daily_rate * days).quantize(FEN, rounding=ROUND_HALF_UP))
    cap = int((principal * cap_rate).quantize(FEN, rounding=ROUND_HALF_UP))
    return min(fee, cap)
