"""Repair work orders (报修工单), their notes and photos, per-community categories, and redirected duplicates.

Only workflows/repairs/service.py changes these rows; dashboards read them (see docs/repairs.md for the columns).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum
from workflows.staff.models import StaffUser


class RepairStatus(enum.StrEnum):
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 已派单
    ACCEPTED = "accepted"  # 已接单
    IN_PROGRESS = "in_progress"  # 处理中 (师傅已上门)
    AWAITING_PARTS = "awaiting_parts"  # 待配件
    COMPLETED = "completed"  # 已完成
    RATED = "rated"  # 已评价
    CLOSED = "closed"  # 已关闭
    CANCELLED = "cancelled"  # 已取消


STATUS_LABELS = {
    RepairStatus.PENDING_DISPATCH: "待派单",
    RepairStatus.DISPATCHED: "已派单",
    RepairStatus.ACCEPTED: "已接单",
    RepairStatus.IN_PROGRESS: "处理中",
    RepairStatus.AWAITING_PARTS: "待配件",
    RepairStatus.COMPLETED: "已完成",
    RepairStatus.RATED: "已评价",
    RepairStatus.CLOSED: "已关闭",
    RepairStatus.CANCELLED: "已取消",
}

OPEN_STATUSES = (RepairStatus.PENDING_DISPATCH, RepairStatus.DISPATCHED, RepairStatus.ACCEPTED,
                 RepairStatus.IN_PROGRESS, RepairStatus.AWAITING_PARTS)
FINISHED_STATUSES = (RepairStatus.COMPLETED, RepairStatus.RATED, RepairStatus.CLOSED)


class Priority(enum.StrEnum):
    NORMAL = "normal"  # 普通
    URGENT = "urgent"  # 紧急 (7×24: 电梯困人、漏水、停电…)


class Reporter(enum.StrEnum):
    """Who opened a work order: an owner in WeChat (openid is theirs, they hear its progress) or the system (an alarm
    sensor: openid names it, "device:smoke-b1", and no owner is told anything; staff follow it in the back office)."""

    OWNER = "owner"
    SYSTEM = "system"


class RepairTicket(Timestamped, Base):
    __tablename__ = "repair_tickets"
    __table_args__ = (Index("ix_repair_tickets_community_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # BX-20261124-0007
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)  # the owner who reported it (or device:CODE)
    reporter: Mapped[Reporter] = mapped_column(str_enum(Reporter, 12), default=Reporter.OWNER,
                                               server_default=Reporter.OWNER.value)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), default=None)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None, index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), default=None, index=True)
    public_area: Mapped[bool] = mapped_column(default=False)  # 公共区域 (楼道、电梯、车库…)
    location_text: Mapped[str] = mapped_column(String(200), default="")  # 3栋1单元302 / 5栋电梯
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    category: Mapped[str] = mapped_column(String(20), index=True)  # 水电、门窗、电梯…
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 12), default=Priority.NORMAL)
    description: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(default=list)  # paths relative to settings.media_dir
    preferred_from: Mapped[datetime | None] = mapped_column(default=None)  # 期望上门时间
    preferred_to: Mapped[datetime | None] = mapped_column(default=None)
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[RepairStatus] = mapped_column(str_enum(RepairStatus, 20), default=RepairStatus.PENDING_DISPATCH,
                                                 index=True)
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock: two technicians accepting, one wins
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None, index=True)
    # SLA (服务时限): targets set at creation, breach moments set by the timer in scheduled.py.
    respond_by: Mapped[datetime | None] = mapped_column(default=None)
    resolve_by: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)  # accepted by a technician
    respond_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    resolve_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # 评价: 1–5 and a comment, after completion (feeds the satisfaction trend).
    rating: Mapped[int | None] = mapped_column(default=None)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
    # The owner saw an open ticket like this one and still chose 仍然新建: counted as a duplicate created.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("repair_tickets.id"), default=None)
    # One submit per dialog: WeChat may deliver the confirming message twice.
    submission_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)

    assignee: Mapped[StaffUser | None] = relationship(foreign_keys=[assignee_id], lazy="selectin")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RepairNote(Base):
    """A line on the ticket's timeline besides transitions: a staff comment, a technician update with photos, or
    details an owner added instead of opening a duplicate."""

    __tablename__ = "repair_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("repair_tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # comment | update | owner_detail
    author: Mapped[str] = mapped_column(String(80))  # "staff:3", "owner:<openid>"
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepairCategory(Base):
    """A community's own repair categories (报修类别) and the technician group each goes to. A community with no
    rows uses DEFAULT_CATEGORIES in workflows/repairs/sla.py."""

    __tablename__ = "repair_categories"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    skill: Mapped[str] = mapped_column(String(20))  # matches StaffUser.skills entries
    resolve_hours: Mapped[int] = mapped_column(default=48)
    sort_key: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class DuplicatePrevented(Base):
    """A submission redirected to an existing open ticket (补充到已有工单) instead of becoming a new one."""

    __tablename__ = "duplicates_prevented"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="repair")
    ticket_id: Mapped[int] = mapped_column(ForeignKey("repair_tickets.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)
    category: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(20))  # same_household | public_area
    submission_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
