"""Payment orders (支付订单) and what paying leaves behind: order lines, verified notifications (stored once each),
ledger entries (流水), receipts (收据), refunds (退款), issues flagged for finance (待财务处理) and daily
reconciliations (对账).

Only workflows/payments/settle.py and orders.py write these rows (reconciliation.py writes reconciliations).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class OrderStatus(enum.StrEnum):
    CREATED = "created"  # 已创建
    PREPAID = "prepaid"  # 已下单 (the provider gave a prepay_id; the owner may pay)
    PAID = "paid"  # 已支付 (a verified notification, an order query or staff recorded the money)
    CLOSED = "closed"  # 已关闭 (replaced by a newer order, or cancelled)
    EXPIRED = "expired"  # 已过期 (unpaid at time_expire, closed at the provider)


ORDER_STATUS_LABELS = {OrderStatus.CREATED: "已创建", OrderStatus.PREPAID: "待支付", OrderStatus.PAID: "已支付",
                       OrderStatus.CLOSED: "已关闭", OrderStatus.EXPIRED: "已过期"}
OPEN_ORDER_STATUSES = (OrderStatus.CREATED, OrderStatus.PREPAID)


class PaymentMethod(enum.StrEnum):
    WECHAT = "wechat"  # 微信支付
    SANDBOX = "sandbox"  # 沙箱 (no money moves)
    CASH = "cash"  # 现金
    TRANSFER = "transfer"  # 转账
    POS = "pos"  # POS 刷卡
    BANK_DEBIT = "bank_debit"  # 银行代扣


METHOD_LABELS = {PaymentMethod.WECHAT: "微信支付", PaymentMethod.SANDBOX: "沙箱支付", PaymentMethod.CASH: "现金",
                 PaymentMethod.TRANSFER: "转账", PaymentMethod.POS: "POS 刷卡", PaymentMethod.BANK_DEBIT: "银行代扣"}


class PaymentOrder(Timestamped, Base):
    __tablename__ = "payment_orders"
    __table_args__ = (Index("ix_payment_orders_status_prepaid", "status", "prepaid_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))  # JF-20261207-0003, sayable
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)  # what the provider knows it by
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), default="", index=True)  # the payer (online payments)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # principal + late fees of its lines
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 12), default=OrderStatus.CREATED)
    version: Mapped[int] = mapped_column(default=1)
    prepay_id: Mapped[str] = mapped_column(String(64), default="")
    prepaid_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # time_expire given to the provider
    queried_at: Mapped[datetime | None] = mapped_column(default=None)  # last order query (查单)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what the provider / staff say was paid
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")  # staff's note on an offline payment (凭证号)
    recorded_by: Mapped[str] = mapped_column(String(80), default="")

    lines: Mapped[list[OrderLine]] = relationship(lazy="selectin", order_by="OrderLine.id")

    __mapper_args__ = {"version_id_col": version}


class OrderLine(Base):
    """A bill in an order, with the late fee it carried when the order was made."""

    __tablename__ = "payment_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "bill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"))
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    late_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class PaymentNotification(Base):
    """A verified payment or refund notification, stored once per (provider, notification id)."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("provider", "notification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    notification_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(40))
    out_trade_no: Mapped[str] = mapped_column(String(32), default="", index=True)
    outcome: Mapped[str] = mapped_column(String(24))  # settled | already_paid | amount_mismatch | double_payment …
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """流水: one row per bill paid (positive) or refunded (negative), with the method; finance sums these."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_community_created", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None, index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), default=None, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # payment | refund
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # principal + late fee; negative for refunds
    late_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Receipt(Base):
    """收据: the electronic receipt of one settled order — number, household(s), items, periods, amount, method."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # YGHY-SJ-20261207-0001
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"), unique=True)
    openid: Mapped[str] = mapped_column(String(64), default="", index=True)
    households: Mapped[str] = mapped_column(String(200))  # 1栋1单元101
    items: Mapped[list[Any]] = mapped_column()  # [{"household", "item", "period", "amount_fen", "late_fee_fen"}]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 12))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentIssue(Base):
    """Something money-related a person must look at (待财务处理): an amount that differs, a bill paid twice, a
    notification for an unknown order, a reconciliation mismatch."""

    __tablename__ = "payment_issues"
    __table_args__ = (UniqueConstraint("dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), default=None, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("payment_orders.id"), default=None)
    kind: Mapped[str] = mapped_column(String(24))  # amount_mismatch | double_payment | unknown_order | recon_*
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedup_key: Mapped[str] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Refund(Timestamped, Base):
    """退款: staff-initiated, or for a second payment of bills already paid; its own notification completes it."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="processing")  # processing | success | failed
    reason: Mapped[str] = mapped_column(String(200), default="")
    requested_by: Mapped[str] = mapped_column(String(80), default="")
    refund_id: Mapped[str] = mapped_column(String(64), default="")  # the provider's
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class Reconciliation(Timestamped, Base):
    """One day's reconciliation (对账) against the provider's trade bill (交易账单): what was compared and how many
    differed. The differences themselves are payment_issues (recon_*), the finance inbox. Unique per provider and
    day, so the daily job runs once a day however many workers there are; a staff import of the day replaces it."""

    __tablename__ = "reconciliations"
    __table_args__ = (UniqueConstraint("provider", "bill_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))  # wechatpay | sandbox
    bill_date: Mapped[date] = mapped_column(Date)  # the trade bill's day, Asia/Shanghai
    source: Mapped[str] = mapped_column(String(12))  # api (downloaded) | import (a CSV staff uploaded)
    filename: Mapped[str] = mapped_column(String(200), default="")
    trades_there: Mapped[int] = mapped_column(default=0)  # SUCCESS rows of the bill
    paid_there_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds_there: Mapped[int] = mapped_column(default=0)  # REFUND rows (listed, not compared)
    paid_here: Mapped[int] = mapped_column(default=0)  # orders paid here on that day through this provider
    paid_here_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    matched: Mapped[int] = mapped_column(default=0)
    missing_here: Mapped[int] = mapped_column(default=0)  # paid there, not here
    missing_there: Mapped[int] = mapped_column(default=0)  # paid here, not there
    amount_differs: Mapped[int] = mapped_column(default=0)
    run_by: Mapped[str] = mapped_column(String(80), default="system")
