"""Community activities (社区活动) with sign-up (报名): capacity and deadline are enforced atomically."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, Timestamped, str_enum


class ActivityStatus(enum.StrEnum):
    OPEN = "open"  # 报名中 (until the deadline)
    CANCELLED = "cancelled"  # 已取消


class SignupStatus(enum.StrEnum):
    SIGNED = "signed"  # 已报名
    CANCELLED = "cancelled"  # 已取消报名


class Activity(Timestamped, Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column()
    signup_deadline: Mapped[datetime] = mapped_column()  # 报名截止
    capacity: Mapped[int] = mapped_column()  # 名额
    signed_count: Mapped[int] = mapped_column(default=0)  # changed only by conditional updates
    status: Mapped[ActivityStatus] = mapped_column(str_enum(ActivityStatus, 16), default=ActivityStatus.OPEN)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    # Cancelling races another cancel; sign-ups change signed_count by conditional UPDATEs that leave it alone.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class ActivitySignup(Timestamped, Base):
    __tablename__ = "activity_signups"
    __table_args__ = (UniqueConstraint("activity_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)
    name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[SignupStatus] = mapped_column(str_enum(SignupStatus, 16), default=SignupStatus.SIGNED)
