"""Complaints (投诉) and their notes. Only workflows/complaints/service.py changes these rows."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"  # 已受理
    IN_PROGRESS = "in_progress"  # 处理中
    REPLIED = "replied"  # 已回复
    RESOLVED = "resolved"  # 业主确认解决
    UNSATISFIED = "unsatisfied"  # 不满意 (passes at once to 升级)
    ESCALATED = "escalated"  # 升级 (项目经理跟进)
    CLOSED = "closed"  # 关闭


STATUS_LABELS = {
    ComplaintStatus.RECEIVED: "已受理",
    ComplaintStatus.IN_PROGRESS: "处理中",
    ComplaintStatus.REPLIED: "已回复",
    ComplaintStatus.RESOLVED: "业主确认解决",
    ComplaintStatus.UNSATISFIED: "不满意",
    ComplaintStatus.ESCALATED: "已升级",
    ComplaintStatus.CLOSED: "已关闭",
}

OPEN_COMPLAINT_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.UNSATISFIED,
                           ComplaintStatus.ESCALATED)

COMPLAINT_CATEGORIES = ("噪音", "环境卫生", "停车", "邻里纠纷", "服务态度", "安全隐患", "宠物", "其他")


class Complaint(Timestamped, Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_community_status", "community_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # TS-20261124-0003
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), default=None)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), default=None, index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[Any]] = mapped_column(default=list)
    anonymous: Mapped[bool] = mapped_column(default=False)  # 对处理人员匿名: staff pages hide who complained
    # 被投诉的工作人员: the complaint never goes to them (assignment and escalation exclude them).
    about_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    about_staff_text: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[ComplaintStatus] = mapped_column(str_enum(ComplaintStatus, 20), default=ComplaintStatus.RECEIVED,
                                                    index=True)
    version: Mapped[int] = mapped_column(default=1)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None, index=True)
    respond_by: Mapped[datetime | None] = mapped_column(default=None)  # first response SLA, default 24 h
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    respond_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    reply: Mapped[str] = mapped_column(Text, default="")  # the latest answer sent to the owner
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    submission_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class ComplaintNote(Base):
    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # comment | reply | owner_feedback
    author: Mapped[str] = mapped_column(String(80))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
