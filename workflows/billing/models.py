"""Billing (缴费) tables: fee items (收费项目) with their late-fee rule, parking spaces (车位), meter readings (抄表),
bill runs (账期生成) and bill lines (账单).

Money is integer fen (分); unit prices and rates are Decimal. How amounts are computed and rounded is in
workflows/billing/pricing.py; only workflows/billing/service.py and generation.py
(with generation_sql.py) write these rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class FeeKind(enum.StrEnum):
    AREA = "area"  # 按面积: 元/㎡/月 × 建筑面积 (物业费)
    FIXED = "fixed"  # 按户固定: 元/户/月 (垃圾处理费)
    PARKING = "parking"  # 车位: 元/个/月 per rented space (月租车位)
    METERED = "metered"  # 按用量: (本期读数 − 上期读数) × 单价 (水、电、燃气)
    ONE_OFF = "one_off"  # 一次性: an amount staff charge to one household (装修押金、垃圾清运)


class Cycle(enum.StrEnum):
    MONTHLY = "monthly"  # 按月
    QUARTERLY = "quarterly"  # 按季
    YEARLY = "yearly"  # 按年


CYCLE_MONTHS = {Cycle.MONTHLY: 1, Cycle.QUARTERLY: 3, Cycle.YEARLY: 12}


class PaymentMode(enum.StrEnum):
    PREPAID = "prepaid"  # 预付: billed for the cycle that starts in the billing month
    POSTPAID = "postpaid"  # 后付: billed for the cycle that ended before the billing month


class BillStatus(enum.StrEnum):
    UNPAID = "unpaid"  # 未缴
    PAID = "paid"  # 已缴
    CANCELLED = "cancelled"  # 已作废 (减免、错账)


class FeeItem(Timestamped, Base):
    """A community's charge, in one of the shapes every property system has (cf. MicroCommunity's pay_fee_config).

    A price change is a new fee item with a later `effective_from` (the old one gets `effective_to`): the same name
    may not have two items in force on one day (service.py refuses overlaps)."""

    __tablename__ = "fee_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))  # 物业费、垃圾处理费、月租车位、水费…
    kind: Mapped[FeeKind] = mapped_column(str_enum(FeeKind, 12))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))  # 元 per unit (㎡, 户, 车位, 吨/度) per month
    unit: Mapped[str] = mapped_column(String(12), default="")  # ㎡ / 户 / 个 / 吨 / 度 — shown to people
    cycle: Mapped[Cycle] = mapped_column(str_enum(Cycle, 12), default=Cycle.MONTHLY)
    mode: Mapped[PaymentMode] = mapped_column(str_enum(PaymentMode, 12), default=PaymentMode.PREPAID)
    due_day: Mapped[int] = mapped_column(default=15)  # bills are due on this day of the billing month
    effective_from: Mapped[date] = mapped_column()
    effective_to: Mapped[date | None] = mapped_column(default=None)  # inclusive; None: open-ended
    # 滞纳金: after due date + grace days, principal × daily rate per day, at most principal × cap rate.
    late_fee_daily_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6), default=Decimal("0"))
    late_fee_grace_days: Mapped[int] = mapped_column(default=0)
    late_fee_cap_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)


class ParkingSpace(Timestamped, Base):
    """A parking space (车位) and the household renting it (月租), with the rental's dates for proration."""

    __tablename__ = "parking_spaces"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))  # B1-023
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None, index=True)
    rented_from: Mapped[date | None] = mapped_column(default=None)
    rented_until: Mapped[date | None] = mapped_column(default=None)  # inclusive


class MeterReading(Base):
    """One reading of a household's meter (抄表) for a metered fee item, taken for the month named by `period`.
    A bill for that month charges (this reading − the previous one) × the item's price."""

    __tablename__ = "meter_readings"
    __table_args__ = (UniqueConstraint("household_id", "fee_item_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    source: Mapped[str] = mapped_column(String(12), default="staff")  # staff | import | device
    recorded_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillRun(Base):
    """One generation of a community's bills for a billing month (账期). Rerunning the same month continues it."""

    __tablename__ = "bill_runs"
    __table_args__ = (UniqueConstraint("community_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the billing month
    status: Mapped[str] = mapped_column(String(12), default="running")  # running | done
    bills_created: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    started_by: Mapped[str] = mapped_column(String(80), default="system")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Bill(Base):
    """A bill line (账单): one per (household or parking space, fee item, billing month), unique, so a rerun of a
    bill run adds nothing. `subject` is "h<household id>" or "s<space id>".

    Every line has a household (a parking line's is the renting household), and its household, building and
    community are one foreign key into households (id, building_id, community_id): a line's building and community
    are its household's, and correcting a household's building or community carries its bills along (ON UPDATE
    CASCADE). One key check per inserted line instead of three (docs/billing.md, bill generation)."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("fee_item_id", "subject", "period", name="uq_bills_item_subject_period"),
        Index("ix_bills_household_status", "household_id", "status"),
        Index("ix_bills_community_period", "community_id", "period"),
        ForeignKeyConstraint(["household_id", "building_id", "community_id"],
                             ["households.id", "households.building_id", "households.community_id"],
                             onupdate="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column()  # checked with the household (the composite key above)
    building_id: Mapped[int] = mapped_column(index=True)  # likewise
    household_id: Mapped[int] = mapped_column()
    space_id: Mapped[int | None] = mapped_column(ForeignKey("parking_spaces.id"), default=None)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the billing month (账期)
    service_start: Mapped[date] = mapped_column()  # the days this line pays for
    service_end: Mapped[date] = mapped_column()  # inclusive
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # ㎡, 1 household, 1 space, units used
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # principal, rounded once (pricing.to_fen)
    late_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # frozen when the bill is paid
    due_date: Mapped[date] = mapped_column()
    status: Mapped[BillStatus] = mapped_column(str_enum(BillStatus, 12), default=BillStatus.UNPAID)
    description: Mapped[str] = mapped_column(String(120), default="")  # 2026-12 物业费 112.80㎡ × 2.80
    run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    fee_item: Mapped[FeeItem] = relationship(lazy="joined")
