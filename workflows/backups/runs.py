"""Backup runs as the service sees them: the worker's daily backup (one worker runs it: the day's row is unique),
its record, the health the dashboard shows, and telling the admins in WeChat when a backup failed or is missing."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.backups.models import BackupRun, BackupStatus
from workflows.backups.service import BackupResult, create_backup
from workflows.clock import local, utcnow
from workflows.db import transaction
from workflows.outbox.service import enqueue
from workflows.runtime import Runtime
from workflows.staff.models import Role, StaffUser

log = logging.getLogger("linli.backups")

FAILED_TEXT = "【备份失败】{when} 的数据备份没有成功：{error}\n请尽快处理（linli backup 可手动重试，详见运维文档）。"
MISSING_TEXT = "【备份缺失】最近一次成功的数据备份是 {last}，已超过 {hours} 小时。请检查备份设置和 worker 进程。"


@dataclass(frozen=True)
class BackupHealth:
    configured: bool
    last_ok_at: datetime | None
    last_failed: BackupRun | None  # the newest run, when it failed
    overdue: bool  # configured, and no good backup within backup_max_age_hours

    @property
    def alarm(self) -> bool:
        return not self.configured or self.overdue or self.last_failed is not None


async def backup_health(session: AsyncSession, runtime: Runtime, *, now: datetime | None = None) -> BackupHealth:
    settings = runtime.settings
    now = now or utcnow()
    last_ok = await session.scalar(select(BackupRun.finished_at).where(BackupRun.status == BackupStatus.OK)
                                   .order_by(BackupRun.finished_at.desc()).limit(1))
    newest = await session.scalar(select(BackupRun).where(BackupRun.status != BackupStatus.RUNNING)
                                  .order_by(BackupRun.started_at.desc()).limit(1))
    configured = bool(settings.backup_destination and settings.backup_key)
    overdue = configured and (last_ok is None or now - last_ok > timedelta(hours=settings.backup_max_age_hours))
    return BackupHealth(configured=configured, last_ok_at=last_ok, overdue=overdue,
                        last_failed=newest if newest is not None and newest.status == BackupStatus.FAILED else None)


async def _tell_admins(session: AsyncSession, *, text: str, dedup: str) -> int:
    admins = await session.scalars(select(StaffUser).where(StaffUser.role == Role.ADMIN, StaffUser.active.is_(True),
                                                           StaffUser.wechat_openid.is_not(None)))
    queued = 0
    for admin in admins:
        message = await enqueue(session, kind="wechat.text", dedup_key=f"{dedup}:{admin.id}",
                                payload={"openid": admin.wechat_openid, "text": text})
        queued += message is not None
    return queued


async def run_backup(runtime: Runtime, *, scheduled_for: date | None = None) -> BackupRun | None:
    """Make a backup and record it; a failure is recorded and the admins are told. With `scheduled_for`, only the
    first worker to claim that day runs it (None is returned to the others)."""
    try:
        async with transaction(runtime.sessions) as session:
            run = BackupRun(scheduled_for=scheduled_for, destination=runtime.settings.backup_destination)
            session.add(run)
    except IntegrityError:
        return None
    result: BackupResult | None = None
    error = ""
    try:
        result = await asyncio.to_thread(create_backup, runtime.settings)
    except Exception as exc:  # noqa: BLE001 - recorded, shown and sent to the admins
        log.exception("backup failed")
        error = f"{type(exc).__name__}: {exc}"[:1000]
    async with transaction(runtime.sessions) as session:
        run = await session.get(BackupRun, run.id)
        run.finished_at = utcnow()
        if result is not None:
            run.status, run.name, run.size_bytes = BackupStatus.OK, result.name, result.size_bytes
            run.destination = result.destination
        else:
            run.status, run.error = BackupStatus.FAILED, error
            when = local(run.started_at, runtime.settings.tz).strftime("%m月%d日 %H:%M")
            await _tell_admins(session, text=FAILED_TEXT.format(when=when, error=error[:200]),
                               dedup=f"backup-failed:{run.id}")
    return run


def _due_at(day: date, spec: str, tz: object) -> datetime:
    return datetime.combine(day, time.fromisoformat(spec), tz)  # type: ignore[arg-type]


async def run_scheduled_backup(runtime: Runtime, *, now: datetime | None = None) -> BackupRun | None:
    """One worker loop step: run today's backup once its time has come; warn when the last good one is too old."""
    settings = runtime.settings
    if not (settings.backup_destination and settings.backup_key):
        return None
    now = now or utcnow()
    today = local(now, settings.tz).date()
    if now < _due_at(today, settings.backup_time, settings.tz):
        return None
    async with runtime.sessions() as session:
        claimed = await session.scalar(select(BackupRun.id).where(BackupRun.scheduled_for == today))
    run = None if claimed else await run_backup(runtime, scheduled_for=today)
    await warn_if_missing(runtime, now=now)
    return run


async def warn_if_missing(runtime: Runtime, *, now: datetime | None = None) -> bool:
    """Tell the admins (once a day) when no good backup is younger than backup_max_age_hours."""
    now = now or utcnow()
    async with transaction(runtime.sessions) as session:
        health = await backup_health(session, runtime, now=now)
        running = await session.scalar(select(BackupRun.id).where(
            BackupRun.status == BackupStatus.RUNNING, BackupRun.started_at > now - timedelta(hours=1)))
        if not health.overdue or running is not None:  # another worker's backup may be about to succeed
            return False
        last = local(health.last_ok_at, runtime.settings.tz).strftime("%m月%d日 %H:%M") if health.last_ok_at \
            else "（从未成功）"
        day = local(now, runtime.settings.tz).date().isoformat()
        await _tell_admins(session, text=MISSING_TEXT.format(last=last, hours=runtime.settings.backup_max_age_hours),
                           dedup=f"backup-missing:{day}")
    return True
