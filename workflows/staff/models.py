"""Staff accounts (员工), their roles and the communities each is assigned to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.db import Base, Timestamped, str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"  # 管理员 (company admin: every community)
    MANAGER = "manager"  # 项目经理
    FRONT_DESK = "front_desk"  # 客服
    TECHNICIAN = "technician"  # 维修工
    SECURITY = "security"  # 保安
    FINANCE = "finance"  # 财务


ROLE_LABELS = {
    Role.ADMIN: "管理员",
    Role.MANAGER: "项目经理",
    Role.FRONT_DESK: "客服",
    Role.TECHNICIAN: "维修工",
    Role.SECURITY: "保安",
    Role.FINANCE: "财务",
}


class StaffUser(Timestamped, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Sessions carry it (with the password fingerprint): deactivation bumps it, so every open session ends.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Staff bind their WeChat too, so tasks and approvals reach them in chat.
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    wechat_invite_code: Mapped[str | None] = mapped_column(String(16), unique=True, default=None)
    skills: Mapped[str] = mapped_column(String(200), default="")  # technician groups, comma separated (水电,门窗)

    assignments: Mapped[list[StaffCommunity]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def community_ids(self) -> set[int]:
        return {a.community_id for a in self.assignments}


class StaffCommunity(Base):
    __tablename__ = "staff_communities"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
