"""A property company starting its own community on a fresh database, without the demo, exactly as README's "your own
community" says: `linli db upgrade`, `linli community create`, `linli staff create`, the roster and FAQ imports —
then an owner binds and reports a repair through the bot, and asks a question the company's FAQ answers.

One test on purpose: the FAQ import and the first answer load the embedding model once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot import directory
from bot import texts as bot_texts
from bot.registry import DialogRegistry, default_dialogs
from bot.router import Bot
from bot.services import BotServices
from linli.cli import app
from tests.bot.owners import FolderMedia, Owner
from tests.services import test_settings
from workflows.community.models import Community
from workflows.repairs.models import RepairTicket
from workflows.runtime import Runtime

ROSTER = "楼栋,房号,面积,业主姓名,电话\n1号楼,1单元101,88.5,刘洋,13900002468\n1号楼,1单元102,96,陈静,13900001357\n" \
         "2,101,120,王强,13900008642\n"
FAQ = "question,answer,category,alternatives\n" \
      "垃圾几点收？,和谐苑的生活垃圾每天早上 7 点到 9 点、晚上 6 点到 8 点在各楼下收集点投放。,环境," \
      "扔垃圾的时间|垃圾什么时候扔\n"


async def invoke(runner: CliRunner, *args: str):
    """The command as an operator types it (in a thread: the CLI runs its own event loop)."""
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def cli(runner: CliRunner, *args: str) -> str:
    result = await invoke(runner, *args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings of a brand-new deployment: an empty SQLite file, nothing seeded."""
    settings = test_settings(tmp_path)
    for name in ("database_url", "chroma_path", "media_dir"):
        monkeypatch.setenv(f"LINLI_{name.upper()}", getattr(settings, name))
    directory.forget()
    yield settings
    directory.forget()


async def test_a_company_starts_its_own_community_and_an_owner_binds_and_reports_a_repair(fresh, tmp_path):
    from knowledge.assistant import build_assistant

    runner = CliRunner()
    await cli(runner, "db", "upgrade")
    assert "no community yet" in await cli(runner, "community", "list")
    runtime = Runtime.from_settings(fresh)
    early = Bot(runtime, BotServices(assistant=None, media=FolderMedia()), DialogRegistry(default_dialogs()))
    try:  # an owner who writes before any community exists gets a clear answer, and nothing breaks
        first = Owner(early, "o-too-early")
        assert await first.say("绑定房屋") == bot_texts.BIND_NO_COMMUNITY
        assert await first.say("转人工") == bot_texts.NO_COMMUNITY_YET
    finally:
        await early.transcript.stop()
    directory.forget()

    created = await cli(runner, "community", "create", "--code", "hxy", "--name", "和谐苑", "--phone", "021-66660000",
                  "--address", "上海市闵行区和谐路 8 号", "--location", "31.11,121.38", "--radius", "400",
                  "--working-hours", "08:30-17:30", "--buildings", "1-2")
    assert "HXY 和谐苑" in created and "2 buildings" in created
    refused = await invoke(runner, "community", "create", "--code", "HXY", "--name", "另一个")
    assert refused.exit_code == 1 and "已经有了" in refused.output
    await cli(runner, "staff", "create", "--username", "hx.kefu", "--name", "小何", "--role", "front_desk",
        "--community", "HXY", "--password", "hexie-2026-ok")
    roster = tmp_path / "名册.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert "3 households created" in await cli(runner, "community", "roster", "HXY", str(roster))
    faq = tmp_path / "faq.csv"
    faq.write_text(FAQ, encoding="utf-8")
    assert "1 added" in await cli(runner, "kb", "import", str(faq), "--community", "HXY", "--title", "和谐苑服务指南")
    listing = await cli(runner, "community", "list")
    assert "和谐苑" in listing and "2 栋 3 户" in listing and "08:30-17:30" in listing

    bot = Bot(runtime, BotServices(assistant=build_assistant(fresh), media=FolderMedia()),
              DialogRegistry(default_dialogs()))
    try:
        owner = Owner(bot, "o-hexie-liu")
        asked = await owner.say("绑定房屋")  # one community: nobody is asked to choose it
        assert "楼栋" in asked and "1栋" in asked and "小区" not in asked
        for line in ("1", "1单元101", "刘洋"):
            await owner.say(line)
        assert "绑定成功" in await owner.say("2468")
        for line in ("报修", "1", "1", "卫生间水管漏水", "跳过"):
            await owner.say(line)
        summary = await owner.say("随时")  # 刘洋's phone is on the roster: not asked, shown
        assert "联系电话：13900002468" in summary, summary
        submitted = await owner.say("1")
        assert "已提交报修" in submitted, submitted
        answer = await Owner(bot, "o-hexie-new").say("垃圾几点收？")
        assert "7 点到 9 点" in answer and "和谐苑服务指南" in answer
    finally:
        await bot.transcript.stop()
    async with runtime.sessions() as session:
        [ticket] = list(await session.scalars(select(RepairTicket)))
        community = await session.scalar(select(Community))
    assert ticket.community_id == community.id and ticket.number in submitted
    assert ticket.contact_phone == "13900002468"
    assert (community.phone, community.working_hours, community.radius_m) == ("021-66660000", "08:30-17:30", 400)
    await runtime.close()
