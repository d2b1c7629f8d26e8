"""Announcements (公告): written by staff for a community or one building, listed in chat, pushed to bound owners."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, Timestamped, str_enum


class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"  # 草稿
    PUBLISHED = "published"  # 已发布
    WITHDRAWN = "withdrawn"  # 已撤回


class Announcement(Timestamped, Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), default=None)  # None: whole community
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(default=False)  # 置顶
    status: Mapped[AnnouncementStatus] = mapped_column(str_enum(AnnouncementStatus, 16),
                                                       default=AnnouncementStatus.DRAFT, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    recipients: Mapped[int] = mapped_column(default=0)  # outbox rows queued at publication
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # two staff publishing at once: one wins

    __mapper_args__ = {"version_id_col": version}
