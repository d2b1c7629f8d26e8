"""Quiet hours (免打扰) an outbox message may carry in its payload — {"quiet": {"hours": "21:00-08:00", "tz":
"Asia/Shanghai"}} — so that the delivery loop holds it until they are over: a 催缴 reminder queued in the evening and
retried with the outbox's backoff (up to an hour a step) never reaches an owner at night."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """"21:00-08:00" → (21:00, 08:00); ValueError when it is not two HH:MM times."""
    parts = value.replace("～", "-").replace("~", "-").split("-")
    if len(parts) != 2:
        raise ValueError(value)
    start, end = (time.fromisoformat(part.strip()) for part in parts)
    return start, end


def is_quiet(start: time, end: time, moment: time) -> bool:
    """Inside [start, end), wrapping midnight when start > end; equal times mean never quiet."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def quiet_until(quiet: Any, now: datetime) -> datetime | None:
    """The end of the payload's quiet hours when `now` falls inside them, else None (also for a malformed value:
    a message is never held forever by a typo)."""
    if not isinstance(quiet, dict):
        return None
    try:
        start, end = parse_quiet_hours(str(quiet.get("hours", "")))
        tz = ZoneInfo(str(quiet.get("tz") or "Asia/Shanghai"))
    except (ValueError, ZoneInfoNotFoundError):
        return None
    local_now = now.astimezone(tz)
    if not is_quiet(start, end, local_now.time()):
        return None
    until = datetime.combine(local_now.date(), end, tz)
    return until if until > local_now else until + timedelta(days=1)
