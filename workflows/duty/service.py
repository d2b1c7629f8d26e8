"""The only code that changes the duty roster, and the one answer to "which security staff are on duty now?".

`on_duty_security` is what alarm notifications and walk-in notices ask. When nobody of the community is rostered
for the moment asked about (no roster yet, or a gap in it), every active security guard of the community counts
as on duty: an alarm must reach somebody.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.audit.service import record_event
from workflows.clock import local, utcnow
from workflows.duty.models import EVERY_DAY, DutyShift
from workflows.staff.models import Role, StaffCommunity, StaffUser

WEEKDAY_WORDS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "日": "7", "天": "7"}


class DutyError(ValueError):
    """A bad value for a shift; `field` names the form field (staff, weekdays, starts, ends)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OnDuty:
    staff: list[StaffUser]  # in id order
    rostered: bool  # False: nobody rostered for this moment, so every active guard of the community


def parse_time(text: str, field: str) -> time:
    """"8:00", "08:00", "20:30", "８点" → a time; DutyError otherwise."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    match = re.fullmatch(r"([01]?\d|2[0-3])(?:[:：点](\d{2})?)?", folded)
    if not match:
        raise DutyError(field, "请填写 0:00–23:59 之间的时间，例如 08:00")
    minutes = int(match.group(2) or 0)
    if minutes > 59:
        raise DutyError(field, "请填写 0:00–23:59 之间的时间，例如 08:00")
    return time(int(match.group(1)), minutes)


def parse_weekdays(text: str) -> str:
    """"1234567", "12345", "1-5", "每天", "周六日", "六,日" → the ISO weekday digits, sorted."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if folded in ("", "每天", "天天", "all"):
        return EVERY_DAY
    folded = re.sub(r"(\d)-(\d)", lambda m: "".join(str(d) for d in range(int(m[1]), int(m[2]) + 1)), folded)
    folded = "".join(WEEKDAY_WORDS.get(ch, ch) for ch in folded)
    digits = re.sub(r"[\s,，、周星期礼拜]", "", folded)
    if not digits or not re.fullmatch(r"[1-7]+", digits):
        raise DutyError("weekdays", "请填写星期几，例如 每天、1-5 或 六日")
    return "".join(sorted(set(digits)))


def covers(shift: DutyShift, moment: datetime) -> bool:
    """Whether the shift covers this moment (compared in local wall-clock time)."""
    at = local(moment)
    today, yesterday = str(at.isoweekday()), str((at - timedelta(days=1)).isoweekday())
    clock = at.time().replace(tzinfo=None)
    if not shift.overnight:
        return today in shift.weekdays and shift.starts <= clock < shift.ends
    return (today in shift.weekdays and clock >= shift.starts) or (yesterday in shift.weekdays
                                                                   and clock < shift.ends)


async def security_of(session: AsyncSession, *, community_id: int) -> list[StaffUser]:
    """Every active security guard (保安) assigned to the community, in id order."""
    return list(await session.scalars(
        select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
        .where(StaffCommunity.community_id == community_id, StaffUser.role == Role.SECURITY,
               StaffUser.active.is_(True)).order_by(StaffUser.id)))


async def shifts_of(session: AsyncSession, *, community_ids: set[int]) -> list[DutyShift]:
    return list(await session.scalars(select(DutyShift).where(DutyShift.community_id.in_(list(community_ids)))
                                      .order_by(DutyShift.community_id, DutyShift.starts, DutyShift.id)))


async def on_duty_security(session: AsyncSession, *, community_id: int, at: datetime | None = None) -> OnDuty:
    """The community's security staff on duty at `at` (now): the rostered ones, else every active guard."""
    at = at or utcnow()
    guards = await security_of(session, community_id=community_id)
    by_id = {guard.id: guard for guard in guards}
    rostered = {shift.staff_id for shift in await shifts_of(session, community_ids={community_id})
                if shift.staff_id in by_id and covers(shift, at)}
    if not rostered:
        return OnDuty(staff=guards, rostered=False)
    return OnDuty(staff=[guard for guard in guards if guard.id in rostered], rostered=True)


async def add_shift(session: AsyncSession, *, community_id: int, staff_id: int, weekdays: str, starts: str,
                    ends: str, label: str = "", actor: Actor | str) -> DutyShift:
    """排班: one guard of the community on the given weekdays between two local times (DutyError if bad)."""
    guard = await session.get(StaffUser, staff_id)
    if (guard is None or guard.role != Role.SECURITY or not guard.active
            or community_id not in guard.community_ids):
        raise DutyError("staff_id", "请选择本小区在岗的保安")
    shift = DutyShift(community_id=community_id, staff_id=guard.id, weekdays=parse_weekdays(weekdays),
                      starts=parse_time(starts, "starts"), ends=parse_time(ends, "ends"),
                      label=unicodedata.normalize("NFKC", label or "").strip()[:20])
    session.add(shift)
    await session.flush()
    record_event(session, entity_type="duty_shift", entity_id=shift.id, action="add", actor=actor,
                 community_id=community_id, data={"staff": guard.id, "weekdays": shift.weekdays,
                                                  "hours": shift.hours_label, "label": shift.label})
    return shift


async def remove_shift(session: AsyncSession, *, shift: DutyShift, actor: Actor | str) -> None:
    record_event(session, entity_type="duty_shift", entity_id=shift.id, action="remove", actor=actor,
                 community_id=shift.community_id, data={"staff": shift.staff_id, "weekdays": shift.weekdays,
                                                        "hours": shift.hours_label})
    await session.delete(shift)
