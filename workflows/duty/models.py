"""Duty shifts (值班): a security guard (保安) of a community on duty on some weekdays between two local times.

Times are wall-clock times of the deployment's timezone (Asia/Shanghai): a shift is the same 08:00–20:00 in winter
and summer. A shift that ends at or before it starts runs past midnight (20:00–08:00 is a night shift; 08:00–08:00
is a 24-hour shift), and belongs to the weekday it starts on.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base

EVERY_DAY = "1234567"  # ISO weekdays, Monday = 1
WEEKDAY_LABELS = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "日"}


class DutyShift(Base):
    __tablename__ = "duty_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[str] = mapped_column(String(7), default=EVERY_DAY)  # "12345": Monday to Friday
    starts: Mapped[time] = mapped_column()  # local wall-clock time
    ends: Mapped[time] = mapped_column()  # at or before `starts`: the shift runs past midnight
    label: Mapped[str] = mapped_column(String(20), default="")  # 白班 / 夜班
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts

    @property
    def days_label(self) -> str:
        """每天 / 周一至周五 / 周六、日 as staff say it."""
        if self.weekdays == EVERY_DAY:
            return "每天"
        if self.weekdays == "12345":
            return "周一至周五"
        return "周" + "、".join(WEEKDAY_LABELS[d] for d in self.weekdays)

    @property
    def hours_label(self) -> str:
        after = "次日" if self.overnight else ""
        return f"{self.starts:%H:%M}–{after}{self.ends:%H:%M}"
