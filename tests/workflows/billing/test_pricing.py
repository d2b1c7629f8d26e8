"""The rounding rule, cycles, proration and the late-fee rule, as pure functions."""

from datetime import date
from decimal import Decimal

import pytest

from workflows.billing.models import Cycle, PaymentMode
from workflows.billing.pricing import Span, covered_days, late_fee, line_amount, parse_period, service_span, to_fen


def test_amounts_round_once_to_fen_half_up():
    assert to_fen(Decimal("0.005")) == 1
    assert to_fen(Decimal("0.0049999")) == 0
    assert to_fen(Decimal("315.84")) == 31584
    # 112.80 ㎡ × 2.80 元 = 315.84; 89.50 × 2.75 = 246.125 → 246.13 (half up, not banker's 246.12)
    assert line_amount(Decimal("89.50"), Decimal("2.75"), Span(date(2026, 12, 1), date(2026, 12, 31), 1), 31) == 24613


def test_proration_is_computed_exactly_and_rounded_once():
    span = Span(date(2026, 11, 1), date(2026, 11, 30), 1)
    # moved in on the 16th: 15 of 30 days of 300 元
    assert covered_days(span, (date(2026, 11, 16), None)) == 15
    assert line_amount(Decimal("1"), Decimal("300"), span, 15) == 15000
    # 10 of 30 days of 100 元 = 33.333… → 33.33 (not 33.34 from rounding a daily price first)
    assert line_amount(Decimal("1"), Decimal("100"), span, 10) == 3333


def test_cycles_and_modes_pick_their_service_span():
    assert service_span("2026-12", Cycle.MONTHLY, PaymentMode.PREPAID) == Span(date(2026, 12, 1),
                                                                                date(2026, 12, 31), 1)
    assert service_span("2026-12", Cycle.MONTHLY, PaymentMode.POSTPAID) == Span(date(2026, 11, 1),
                                                                                 date(2026, 11, 30), 1)
    assert service_span("2026-12", Cycle.QUARTERLY, PaymentMode.PREPAID) is None
    assert service_span("2026-10", Cycle.QUARTERLY, PaymentMode.PREPAID) == Span(date(2026, 10, 1),
                                                                                  date(2026, 12, 31), 3)
    assert service_span("2027-01", Cycle.QUARTERLY, PaymentMode.POSTPAID) == Span(date(2026, 10, 1),
                                                                                   date(2026, 12, 31), 3)
    assert service_span("2027-01", Cycle.YEARLY, PaymentMode.PREPAID).months == 12
    assert service_span("2027-02", Cycle.YEARLY, PaymentMode.PREPAID) is None


def test_late_fee_counts_days_after_grace_and_is_capped():
    rule = {"daily_rate": Decimal("0.0005"), "grace_days": 15, "cap_rate": Decimal("0.3")}
    due = date(2026, 11, 15)
    assert late_fee(31584, due, date(2026, 11, 30), **rule) == 0  # inside the grace days
    assert late_fee(31584, due, date(2026, 12, 1), **rule) == 16  # one day: 15.792 → 16
    assert late_fee(31584, due, date(2028, 12, 1), **rule) == 9475  # capped at 30 %
    assert late_fee(31584, due, date(2027, 12, 1), daily_rate=Decimal("0"), grace_days=0,
                    cap_rate=Decimal("1")) == 0


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-12", "abcd-ef", "2026/12", ""])
def test_a_period_must_be_a_month(bad):
    with pytest.raises(ValueError):
        parse_period(bad)
