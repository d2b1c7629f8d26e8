"""Timed escalation work: flag escalations nobody answered within the overdue time (counted in working hours only)
and tell the community's managers in WeChat when they have bound it; tell bound 客服 and 项目经理 about new
escalations and binding requests. Run by loops (linli/ assembles them via backoffice.app.background_jobs)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.service import record_event
from workflows.clock import as_utc, utcnow
from workflows.community.models import Community
from workflows.db import transaction
from workflows.escalations.models import Escalation, EscalationStatus
from workflows.outbox.service import enqueue
from workflows.runtime import Runtime
from workflows.staff.models import Role, StaffCommunity, StaffUser


def parse_working_hours(spec: str) -> tuple[time, time]:
    """'08:00-20:00' -> (08:00, 20:00)."""
    start, end = (part.strip() for part in spec.split("-", 1))
    return time.fromisoformat(start), time.fromisoformat(end)


def working_minutes_between(start: datetime, end: datetime, tz: ZoneInfo, hours: tuple[time, time]) -> float:
    """Minutes between two moments that fall inside the daily working hours (local time)."""
    if end <= start:
        return 0.0
    start_local, end_local = as_utc(start).astimezone(tz), as_utc(end).astimezone(tz)
    total = 0.0
    day = start_local.date()
    while day <= end_local.date():
        open_at = datetime.combine(day, hours[0], tz)
        close_at = datetime.combine(day, hours[1], tz)
        lo, hi = max(open_at, start_local), min(close_at, end_local)
        if hi > lo:
            total += (hi - lo).total_seconds() / 60
        day += timedelta(days=1)
    return total


def is_overdue(escalation: Escalation, *, now: datetime, tz: ZoneInfo, hours: tuple[time, time],
               overdue_minutes: int) -> bool:
    """Unanswered (no staff reply yet, not resolved) for longer than overdue_minutes of working time."""
    if escalation.status == EscalationStatus.RESOLVED or escalation.first_response_at is not None:
        return False
    return working_minutes_between(escalation.created_at, now, tz, hours) >= overdue_minutes


async def find_and_flag_overdue(session: AsyncSession, *, now: datetime, tz: ZoneInfo, hours: tuple[time, time],
                                overdue_minutes: int) -> list[Escalation]:
    """Flag newly overdue escalations, audit them and queue a WeChat notice to each bound manager."""
    candidates = await session.scalars(select(Escalation).where(
        Escalation.status != EscalationStatus.RESOLVED, Escalation.first_response_at.is_(None),
        Escalation.flagged_overdue.is_(False)))
    # A community's own office hours (小区设置) replace the deployment's default `hours`.
    own_hours = {community_id: parse_working_hours(spec) for community_id, spec in await session.execute(
        select(Community.id, Community.working_hours).where(Community.working_hours != ""))}
    flagged = [e for e in candidates if is_overdue(e, now=now, tz=tz, hours=own_hours.get(e.community_id, hours),
                                                    overdue_minutes=overdue_minutes)]
    for escalation in flagged:
        # A plain UPDATE: flagging never conflicts with a staff member's claim (no version check).
        await session.execute(update(Escalation).where(Escalation.id == escalation.id).values(flagged_overdue=True))
        record_event(session, entity_type="escalation", entity_id=escalation.id, action="overdue", actor="system",
                     community_id=escalation.community_id,
                     reason=f"no reply within {overdue_minutes} working minutes")
        managers = await session.scalars(
            select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id).where(
                StaffCommunity.community_id == escalation.community_id, StaffUser.role == Role.MANAGER,
                StaffUser.active.is_(True), StaffUser.wechat_openid.is_not(None)))
        for manager in managers:
            await enqueue(session, kind="wechat.text", community_id=escalation.community_id,
                          dedup_key=f"escalation-overdue:{escalation.id}:{manager.id}",
                          payload={"openid": manager.wechat_openid,
                                   "text": f"【超时提醒】转人工 {escalation.number} 已超过 "
                                           f"{overdue_minutes} 分钟无人回复，请尽快安排处理。"})
    return flagged


async def flag_overdue_escalations(runtime: Runtime) -> int:
    """One loop step: flag what became overdue since the last step; returns how many."""
    settings = runtime.settings
    async with transaction(runtime.sessions) as session:
        flagged = await find_and_flag_overdue(session, now=utcnow(), tz=settings.tz,
                                              hours=parse_working_hours(settings.working_hours),
                                              overdue_minutes=settings.escalation_overdue_minutes)
    return len(flagged)


NOTICE_WINDOW = timedelta(minutes=15)  # only fresh work is announced; older items are in the back office already
NOTICE_ROLES = (Role.FRONT_DESK, Role.MANAGER)


async def _bound_staff(session: AsyncSession, community_id: int) -> list[StaffUser]:
    return list(await session.scalars(
        select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id).where(
            StaffCommunity.community_id == community_id, StaffUser.role.in_(NOTICE_ROLES),
            StaffUser.active.is_(True), StaffUser.wechat_openid.is_not(None))))


async def notify_staff_of_new_work(session: AsyncSession, *, now: datetime) -> int:
    """New escalations and binding requests reach the bound 客服 and 项目经理 of their community in WeChat, once
    each (the outbox dedup key makes a second run a no-op)."""
    from workflows.bindings.models import BindingRequest, BindingRequestStatus

    queued = 0
    escalations = await session.scalars(select(Escalation).where(
        Escalation.status == EscalationStatus.OPEN, Escalation.created_at >= now - NOTICE_WINDOW))
    for escalation in escalations:
        text = f"【转人工】{escalation.number}：{escalation.question[:60]}\n请到后台「转人工」认领回复。"
        for staff in await _bound_staff(session, escalation.community_id):
            queued += await enqueue(session, kind="wechat.text", community_id=escalation.community_id,
                                    dedup_key=f"staff-notice:escalation:{escalation.id}:{staff.id}",
                                    payload={"openid": staff.wechat_openid, "text": text}) is not None
    requests = await session.scalars(select(BindingRequest).where(
        BindingRequest.status == BindingRequestStatus.PENDING, BindingRequest.created_at >= now - NOTICE_WINDOW))
    for request in requests:
        text = f"【绑定申请】{request.name} 申请绑定房屋，请到后台「住户 → 绑定申请」审核。"
        for staff in await _bound_staff(session, request.community_id):
            queued += await enqueue(session, kind="wechat.text", community_id=request.community_id,
                                    dedup_key=f"staff-notice:binding-request:{request.id}:{staff.id}",
                                    payload={"openid": staff.wechat_openid, "text": text}) is not None
    return queued


async def send_staff_notices(runtime: Runtime) -> int:
    """One loop step of notify_staff_of_new_work."""
    async with transaction(runtime.sessions) as session:
        return await notify_staff_of_new_work(session, now=utcnow())
