"""Reading form values the way staff type them: local date-times, whole numbers, optional ids."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


class FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def local_datetime(value: str, field: str, tz: ZoneInfo) -> datetime:
    """'2026-11-28T14:00' (datetime-local input, local time) -> an aware datetime."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=tz)
    except ValueError as exc:
        raise FormError(field, "请填写日期和时间，例如 2026-11-28 14:00") from exc


def whole_number(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError as exc:
        raise FormError(field, "请填写整数，例如 30") from exc


def optional_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None
