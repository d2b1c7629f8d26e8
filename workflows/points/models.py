"""积分 tables: rules staff configure per community (按时缴费、连续缴费), the ledger (append-only; a household's
balance is the sum of its rows; an award is unique per household, rule and billing month), rewards (停车优惠券、洗衣券:
cost in points, stock) and redemptions with the code the owner shows."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class RuleKind(enum.StrEnum):
    ON_TIME = "on_time"  # 按时缴费: a billing month's bills all paid by their due date → N points
    STREAK = "streak"  # 连续按时: `months` billing months in a row paid on time → M points (each full run)


class PointsRule(Timestamped, Base):
    __tablename__ = "points_rules"
    __table_args__ = (UniqueConstraint("community_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind, 12))
    points: Mapped[int] = mapped_column()
    months: Mapped[int] = mapped_column(default=1)  # the streak's length; 1 for on_time
    active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class PointsEntry(Base):
    """One ledger row (积分流水): + for an award, − for a redemption. Never updated or deleted."""

    __tablename__ = "points_entries"
    __table_args__ = (
        # NULL rule ids (redemptions, adjustments) never collide: every database treats NULLs as distinct here.
        UniqueConstraint("household_id", "rule_id", "period", name="uq_points_entries_household_rule_period"),
        Index("ix_points_entries_household_id_id", "household_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("points_rules.id"), default=None)
    period: Mapped[str] = mapped_column(String(16), default="")  # the billing month awarded for, YYYY-MM
    points: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(80))  # 按时缴费 2026-12 / 兑换 停车优惠券
    order_id: Mapped[int | None] = mapped_column(ForeignKey("payment_orders.id"), default=None)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("points_redemptions.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reward(Timestamped, Base):
    """Something owners can redeem points for (兑换礼品): a parking voucher, a laundry voucher."""

    __tablename__ = "points_rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    cost_points: Mapped[int] = mapped_column()
    stock: Mapped[int] = mapped_column(default=0)  # how many are left
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Redemption(Base):
    """An owner's redemption (兑换记录): the code they show to staff, used once."""

    __tablename__ = "points_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("points_rewards.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), default="")
    reward_name: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(16), unique=True)  # DH-7K3P9Q
    status: Mapped[str] = mapped_column(String(12), default="issued")  # issued | used
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
