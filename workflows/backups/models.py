"""One row per backup attempt (数据备份记录): what the dashboard shows and what keeps two workers from both running
the day's scheduled backup (`scheduled_for` is unique)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, str_enum


class BackupStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class BackupRun(Base):
    __tablename__ = "backup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[date | None] = mapped_column(unique=True, default=None)  # the local day; None: by hand
    status: Mapped[BackupStatus] = mapped_column(str_enum(BackupStatus, 16), default=BackupStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    name: Mapped[str] = mapped_column(String(100), default="")  # linli-20261207T190000Z.tar.gz.enc
    destination: Mapped[str] = mapped_column(String(300), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
