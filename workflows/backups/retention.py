"""Which backups to keep (grandfather-father-son): the newest of each of the last 7 days, of the last 4 ISO weeks and
of the last 6 months that have a backup. Everything else is deleted after a successful backup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NAME = re.compile(r"linli-(\d{8}T\d{6}Z)\.tar\.gz\.enc")


def backup_name(at: datetime) -> str:
    return f"linli-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz.enc"


def taken_at(name: str) -> datetime | None:
    """The UTC time in a backup's name; None for files that are not Linli backups (never deleted)."""
    found = NAME.fullmatch(name)
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if found else None


def to_keep(names: list[str], *, daily: int, weekly: int, monthly: int, tz: ZoneInfo) -> set[str]:
    """The names retention keeps; days, weeks and months are the company's local ones."""
    dated = sorted(((at, name) for name in names if (at := taken_at(name)) is not None), reverse=True)
    keep: set[str] = set()
    for count, period in ((daily, lambda d: d.date()), (weekly, lambda d: d.isocalendar()[:2]),
                          (monthly, lambda d: (d.year, d.month))):
        seen: list[object] = []
        for at, name in dated:  # newest first: the first of each period is its newest
            key = period(at.astimezone(tz))
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            keep.add(name)
    return keep


def expired(names: list[str], *, daily: int, weekly: int, monthly: int, tz: ZoneInfo) -> list[str]:
    keep = to_keep(names, daily=daily, weekly=weekly, monthly=monthly, tz=tz)
    return [name for name in names if taken_at(name) is not None and name not in keep]
