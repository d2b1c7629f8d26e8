"""The binding of a WeChat openid to a resident of a household (绑定房屋), and requests waiting for staff."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.community.models import Household, Resident
from workflows.db import Base, Timestamped, str_enum


class BindingRequestStatus(enum.StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已拒绝


class WechatBinding(Timestamped, Base):
    __tablename__ = "wechat_bindings"
    __table_args__ = (UniqueConstraint("openid", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)

    household: Mapped[Household] = relationship()
    resident: Mapped[Resident] = relationship()


class BindingRequest(Timestamped, Base):
    """Someone not on the roster asks to bind; a staff member approves or rejects."""

    __tablename__ = "binding_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(16), default="owner")
    status: Mapped[BindingRequestStatus] = mapped_column(
        str_enum(BindingRequestStatus, 16), default=BindingRequestStatus.PENDING, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # two staff deciding at once: one wins

    household: Mapped[Household] = relationship()

    __mapper_args__ = {"version_id_col": version}
