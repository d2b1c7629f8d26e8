"""催缴 tables: each community's reminder policy (间隔天数、免打扰时段), the scheduled runs (one per community and
local day, claimed like the daily backup) and one row per household reminded (unique per reminder key, so a rerun of
the same day's job sends nothing twice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped

DEFAULT_INTERVAL_DAYS = 7
DEFAULT_QUIET_HOURS = "21:00-08:00"
DEFAULT_TIMEZONE = "Asia/Shanghai"


class ReminderPolicy(Timestamped, Base):
    """How one community reminds (催缴设置); a community without a row uses the defaults above, enabled."""

    __tablename__ = "reminder_policies"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    interval_days: Mapped[int] = mapped_column(default=DEFAULT_INTERVAL_DAYS)  # at most one reminder per N days
    quiet_hours: Mapped[str] = mapped_column(String(16), default=DEFAULT_QUIET_HOURS)  # 免打扰, local "HH:MM-HH:MM"
    timezone: Mapped[str] = mapped_column(String(40), default=DEFAULT_TIMEZONE)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class ReminderRun(Base):
    """One scheduled reminder job for a community and local day: the row a worker claims (unique), its counts."""

    __tablename__ = "reminder_runs"
    __table_args__ = (UniqueConstraint("community_id", "reminder_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))  # indexed by the unique key
    reminder_key: Mapped[str] = mapped_column(String(20))  # the local day, 2026-12-07
    status: Mapped[str] = mapped_column(String(12), default="running")  # running | done
    households: Mapped[int] = mapped_column(default=0)  # reminded by this run
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class BillReminder(Base):
    """A household reminded (已催缴): when, how much was owed, which owners' WeChat got it, its outbox rows."""

    __tablename__ = "bill_reminders"
    __table_args__ = (UniqueConstraint("household_id", "reminder_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))  # indexed by the unique key
    reminder_key: Mapped[str] = mapped_column(String(20))  # the run's local day
    bills: Mapped[int] = mapped_column(default=0)  # unpaid bills past their due date
    owed_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # principal + late fees as of that day
    recipients: Mapped[list[Any]] = mapped_column(default=list)  # owners' names told
    outbox_ids: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default="sent")  # sent | cancelled (paid before delivery)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
