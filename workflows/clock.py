"""Time: stored in UTC, shown in the deployment's timezone (Asia/Shanghai by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_offset = timedelta(0)  # moved only by set_now (the blind conversations are played on "a weekday morning")


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def set_now(moment: datetime | None) -> None:
    """Make utcnow() read `moment` from now on (and run on from it); None puts the real clock back. For evaluation
    harnesses whose data says when it happens; the running service never calls it."""
    global _offset
    _offset = timedelta(0) if moment is None else as_utc(moment) - datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    return as_utc(moment).astimezone(tz)


def show(moment: datetime | None, tz: ZoneInfo = SHANGHAI, fmt: str = "%m-%d %H:%M") -> str:
    """A short local time for people: 11-24 15:30."""
    return "" if moment is None else local(moment, tz).strftime(fmt)
