"""Visitor passes (访客通行证) and entries (进出记录).

A pass is what an owner forwards to a visitor: a signed, expiring QR token (workflows/visitors/tokens.py) and a
backup code for the guard, of which only a keyed hash is stored. Every attempt at a gate — admitted or refused — is
an entry. Only workflows/visitors/service.py changes these rows.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class PassStatus(enum.StrEnum):
    ACTIVE = "active"  # 有效 (inside or before its window)
    USED = "used"  # 已用完 (a single-use pass after its entry)
    REVOKED = "revoked"  # 已取消


STATUS_LABELS = {PassStatus.ACTIVE: "有效", PassStatus.USED: "已使用", PassStatus.REVOKED: "已取消"}


class PassKind(enum.StrEnum):
    PREREGISTERED = "preregistered"  # 业主预约
    WALK_IN = "walk_in"  # 门岗登记、业主同意


class VisitorPass(Timestamped, Base):
    __tablename__ = "visitor_passes"
    __table_args__ = (Index("ix_visitor_passes_community_code", "community_id", "code_hash"),
                      Index("ix_visitor_passes_community_window", "community_id", "valid_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # FK-20261207-0003
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)  # the owner who registered it
    kind: Mapped[PassKind] = mapped_column(str_enum(PassKind, 16), default=PassKind.PREREGISTERED)
    visitor_name: Mapped[str] = mapped_column(String(40))
    visitor_phone: Mapped[str] = mapped_column(String(20), default="")
    plate: Mapped[str] = mapped_column(String(10), default="")  # 沪A12345 / 沪AD12345
    people: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    max_uses: Mapped[int | None] = mapped_column(default=None)  # None: any number of entries inside the window
    uses: Mapped[int] = mapped_column(default=0)
    status: Mapped[PassStatus] = mapped_column(str_enum(PassStatus, 12), default=PassStatus.ACTIVE, index=True)
    nonce: Mapped[str] = mapped_column(String(32))  # part of the signed token
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC of the backup code; the code itself is never stored
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    submission_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    version: Mapped[int] = mapped_column(default=1)  # two gates admitting the last use at once: one wins

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class EntryResult(enum.StrEnum):
    ADMITTED = "admitted"  # 放行
    REFUSED = "refused"  # 拒绝


class VisitorEntry(Base):
    """One attempt at a gate with a pass (or a walk-in decision): who, where, when, and why refused."""

    __tablename__ = "visitor_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("visitor_passes.id"), default=None, index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    method: Mapped[str] = mapped_column(String(12))  # qr | code | walk_in | staff
    result: Mapped[EntryResult] = mapped_column(str_enum(EntryResult, 12))
    reason: Mapped[str] = mapped_column(String(24), default="")  # see service.REFUSALS
    command_id: Mapped[str | None] = mapped_column(String(32), default=None)  # the open command, when admitted
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class VisitorPolicy(Base):
    """A community's visitor rules (访客规则): whether a walk-in needs the owner's approval, how long an owner has to
    answer before the guard is told to call, and the free parking minutes for visitors' cars. No row: DEFAULTS."""

    __tablename__ = "visitor_policies"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    approval_required: Mapped[bool] = mapped_column(default=True)
    approval_timeout_minutes: Mapped[int] = mapped_column(default=3)
    free_parking_minutes: Mapped[int] = mapped_column(default=120)


class WalkInStatus(enum.StrEnum):
    PENDING = "pending"  # 等待业主答复
    APPROVED = "approved"  # 业主同意 (or no approval needed in this community)
    DENIED = "denied"  # 业主拒绝
    TIMED_OUT = "timed_out"  # 业主未答复：门岗电话联系


WALK_IN_LABELS = {WalkInStatus.PENDING: "等待业主答复", WalkInStatus.APPROVED: "已同意", WalkInStatus.DENIED: "已拒绝",
                  WalkInStatus.TIMED_OUT: "业主未答复"}


class WalkIn(Timestamped, Base):
    """A visitor registered at the gate by a guard (门岗登记), waiting for, or decided by, the household's owner."""

    __tablename__ = "visitor_walk_ins"
    __table_args__ = (Index("ix_visitor_walk_ins_household_status", "household_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # LF-20261207-0002
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    gate_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    guard_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    visitor_name: Mapped[str] = mapped_column(String(40))
    plate: Mapped[str] = mapped_column(String(10), default="")
    people: Mapped[int] = mapped_column(default=1)
    status: Mapped[WalkInStatus] = mapped_column(str_enum(WalkInStatus, 12), default=WalkInStatus.PENDING)
    deadline_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(80), default="")  # owner:<openid> | policy | system
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    command_id: Mapped[str | None] = mapped_column(String(32), default=None)  # the gate's open command
    gate_result: Mapped[str] = mapped_column(String(40), default="")  # opened | broker_down | no_ack | refused:…

    @property
    def status_label(self) -> str:
        return WALK_IN_LABELS[self.status]
