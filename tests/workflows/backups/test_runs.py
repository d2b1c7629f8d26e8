"""The worker's daily backup: run once a day by one worker, recorded; a failed or missing backup is on the dashboard
and the admins are told in WeChat (through the outbox)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from workflows.backups.crypto import new_key
from workflows.backups.models import BackupRun, BackupStatus
from workflows.backups.runs import backup_health, run_scheduled_backup
from workflows.backups.service import list_backups
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage
from workflows.runtime import Runtime
from workflows.staff.models import StaffUser


async def _bind_admin(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        admin = await session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
        admin.wechat_openid = "o-admin-wechat"


async def _runs(runtime: Runtime) -> list[BackupRun]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(BackupRun).order_by(BackupRun.id)))


async def _admin_messages(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        return [r.payload["text"] for r in rows if r.payload.get("openid") == "o-admin-wechat"]


async def test_two_workers_run_the_days_backup_once_at_its_time(settings, tmp_path):
    settings = settings.model_copy(update={"backup_destination": str(tmp_path / "nas"), "backup_key": new_key(),
                                           "backup_time": "03:00"})
    runtime = Runtime.from_settings(settings)
    try:
        before = datetime(2026, 12, 7, 18, 59, tzinfo=UTC)  # 02:59 in Shanghai
        assert await run_scheduled_backup(runtime, now=before) is None and await _runs(runtime) == []
        at = before + timedelta(minutes=2)
        done = await asyncio.gather(run_scheduled_backup(runtime, now=at), run_scheduled_backup(runtime, now=at))
        assert [run.status for run in done if run is not None] == [BackupStatus.OK]
        assert await run_scheduled_backup(runtime, now=at + timedelta(hours=3)) is None  # once a day
        [run] = await _runs(runtime)
        assert run.scheduled_for.isoformat() == "2026-12-08" and list_backups(settings) == [run.name]
        async with runtime.sessions() as session:
            health = await backup_health(session, runtime, now=run.finished_at + timedelta(hours=1))
        assert not health.alarm
    finally:
        await runtime.close()


@pytest.mark.timeout(600)  # two back-office apps, each loading the FAQ model
async def test_a_failed_backup_is_on_the_dashboard_and_the_admin_is_told(settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the destination folder should be")
    settings = settings.model_copy(update={"backup_destination": str(blocked), "backup_key": new_key()})
    runtime = Runtime.from_settings(settings)
    try:
        await _bind_admin(runtime)
        run = await run_scheduled_backup(runtime, now=datetime(2026, 12, 7, 20, 0, tzinfo=UTC))
        assert run.status == BackupStatus.FAILED and run.error
        messages = await _admin_messages(runtime)
        assert any("备份失败" in m for m in messages) and any("备份缺失" in m for m in messages)
        async with staff_client(runtime, "admin") as client:
            page = (await client.page("/admin/dashboard")).text
        assert 'id="backup-alarm"' in page and "最近一次备份失败" in page and "备份缺失" in page
        async with staff_client(runtime, "kefu") as client:  # the front desk is not bothered with it
            assert 'id="backup-alarm"' not in (await client.page("/admin/dashboard")).text
    finally:
        await runtime.close()


@pytest.mark.timeout(600)
async def test_without_backups_configured_the_admin_sees_it_on_the_dashboard(runtime):
    async with staff_client(runtime, "admin") as client:
        page = (await client.page("/admin/dashboard")).text
    assert 'id="backup-alarm"' in page and "还没有配置自动备份" in page
