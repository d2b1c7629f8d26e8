"""Repair categories, urgency and SLA targets (服务时限).

First response (a technician accepts): urgent tickets within 30 minutes around the clock (7×24); normal tickets
within 1 hour of working time (08:00–20:00 local; a ticket sent at night starts its clock at 08:00).
Resolution (completed): urgent within 4 hours around the clock; normal within the category's hours
(水电、管道疏通 24 h, 电梯 8 h, 门窗 48 h, 公共设施、其他 72 h),
counted in calendar hours from the response clock start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from workflows.clock import SHANGHAI, as_utc
from workflows.repairs.models import Priority


@dataclass(frozen=True)
class CategorySpec:
    name: str
    skill: str  # the technician group (StaffUser.skills entry) that gets it
    resolve_hours: int


DEFAULT_CATEGORIES = (
    CategorySpec("水电", "水电", 24),
    CategorySpec("门窗", "门窗", 48),
    CategorySpec("电梯", "电梯", 8),
    CategorySpec("公共设施", "公共设施", 72),
    CategorySpec("管道疏通", "管道疏通", 24),
    CategorySpec("燃气", "水电", 4),  # 燃气灶、燃气表 (a smell of gas is urgent and goes to the emergency line first)
    CategorySpec("其他", "其他", 72),
)

URGENT_RESPOND = timedelta(minutes=30)
URGENT_RESOLVE = timedelta(hours=4)
NORMAL_RESPOND = timedelta(hours=1)
WORK_START_HOUR, WORK_END_HOUR = 8, 20

# Words that make a ticket urgent whatever its category: 电梯困人、漏水/跑水/爆管、停电、燃气.
URGENT_WORDS = re.compile(r"困人|被困|关在电梯|漏水|跑水|爆管|水管爆|淹|停电|没电了|漏电|冒烟|着火|燃气|煤气")


def priority_for(category: str, description: str) -> Priority:
    """Urgent when the owner's words say so (电梯困人, 漏水 …); otherwise normal."""
    return Priority.URGENT if URGENT_WORDS.search(f"{category} {description}") else Priority.NORMAL


def working_clock_start(moment: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """When a normal ticket's response clock starts: now in working hours, else the next 08:00 local."""
    local = as_utc(moment).astimezone(tz)
    if WORK_START_HOUR <= local.hour < WORK_END_HOUR:
        return as_utc(moment)
    start = local.replace(hour=WORK_START_HOUR, minute=0, second=0, microsecond=0)
    if local.hour >= WORK_END_HOUR:
        start += timedelta(days=1)
    return as_utc(start)


def sla_targets(*, created_at: datetime, priority: Priority, resolve_hours: int,
                tz: ZoneInfo = SHANGHAI) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) for a ticket created at `created_at`."""
    if priority == Priority.URGENT:
        return as_utc(created_at) + URGENT_RESPOND, as_utc(created_at) + URGENT_RESOLVE
    start = working_clock_start(created_at, tz)
    return start + NORMAL_RESPOND, start + timedelta(hours=resolve_hours)
