"""`linli kb import`: parse, store and index in one go; idempotent; deletions reach the index; bad files import
nothing. Also `linli kb reindex` and the index update after a staff answer becomes a FAQ entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from knowledge.assistant import build_assistant, update_index
from linli.cli_kb import ImportRefused, import_knowledge_file, reindex
from workflows.db import transaction
from workflows.faq.models import FaqEntry
from workflows.faq.service import create_entry_from_staff_answer

GUIDE = ("问题,答案,分类\n物业费怎么交？,到物业服务中心前台交，微信支付宝都行。,缴费\n"
         "快递放哪里？,南门的快递柜。,生活服务\n")


def write(tmp_path: Path, text: str, name: str = "guide.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def entry_count(runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(FaqEntry))


async def test_an_imported_file_is_answered_and_reimporting_changes_nothing(settings, runtime, tmp_path):
    path = write(tmp_path, GUIDE)
    first = await import_knowledge_file(settings, path, community_code="YGHY", title="物业服务指南")
    again = await import_knowledge_file(settings, path, community_code="YGHY", title="物业服务指南")
    assert (first.added, first.indexed) == (2, 2)
    assert (again.added, again.removed, again.unchanged, again.indexed) == (0, 0, 2, 0)
    assert await entry_count(runtime) == 2
    answer = await build_assistant(settings).answer(community_id=1, question="管理费去哪儿交")
    assert answer.kind == "answer" and answer.text.endswith("「依据：物业服务指南·缴费」")


async def test_a_row_removed_from_the_file_disappears_from_the_answers(settings, runtime, tmp_path):
    assistant = build_assistant(settings)
    await import_knowledge_file(settings, write(tmp_path, GUIDE), community_code="YGHY", title="物业服务指南",
                                assistant=assistant)
    parcel = next(e for e in assistant.index.entries() if e.question == "快递放哪里？")
    shorter = "\n".join(GUIDE.splitlines()[:2]) + "\n"
    outcome = await import_knowledge_file(settings, write(tmp_path, shorter), community_code="YGHY",
                                          title="物业服务指南", assistant=assistant)
    assert (outcome.added, outcome.removed) == (0, 1)
    assert assistant.index.entry(parcel.id) is None
    assert (await assistant.answer_entry(community_id=1, entry_id=parcel.id)).kind == "unknown"
    assert await entry_count(runtime) == 1


@pytest.mark.parametrize("text", ["", "问题,答案\n物业费怎么交？,\n", "问题,备注\n物业费怎么交？,无\n"])
async def test_a_bad_file_is_refused_with_its_rows_and_nothing_is_imported(settings, runtime, tmp_path, text):
    with pytest.raises(ImportRefused) as refused:
        await import_knowledge_file(settings, write(tmp_path, text), community_code="YGHY")
    assert refused.value.problems
    assert await entry_count(runtime) == 0
    assert build_assistant(settings).index.entries() == []


async def test_a_staff_answer_turned_into_an_entry_is_answered_right_away(settings, runtime):
    async with transaction(runtime.sessions) as session:
        entry = await create_entry_from_staff_answer(session, community_id=1, question="游泳池几点开放？",
                                                     answer="夏季每天 9:00 到 21:00 开放。", staff_id=1)
    assistant = build_assistant(settings)
    await update_index(assistant, upsert=[entry])
    answer = await assistant.answer(community_id=1, question="泳池几点开门")
    assert answer.kind == "answer" and "9:00" in answer.text and answer.text.endswith("「依据：物业客服答复」")
    await update_index(assistant, remove=[entry.id])
    assert assistant.index.entry(str(entry.id)) is None


async def test_reindex_rebuilds_a_lost_index_from_the_faq_table(settings, tmp_path):
    assistant = build_assistant(settings)
    await import_knowledge_file(settings, write(tmp_path, GUIDE), community_code="YGHY", title="物业服务指南",
                                assistant=assistant)
    assistant.index.remove([e.id for e in assistant.index.entries()])
    assert await reindex(settings, assistant) == (2, 0)
    assert len(assistant.index.entries()) == 2


def test_the_cli_prints_the_row_report_and_fails(settings, tmp_path, monkeypatch):
    from linli.cli import app

    monkeypatch.setenv("LINLI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LINLI_CHROMA_PATH", settings.chroma_path)
    bad = write(tmp_path, "问题,答案\n,没有问题\n", name="bad.csv")
    result = CliRunner().invoke(app, ["kb", "import", str(bad)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output and "第 2 行：缺少问题" in result.output
    good = write(tmp_path, GUIDE, name="good.csv")
    result = CliRunner().invoke(app, ["kb", "import", str(good), "--title", "物业服务指南"])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 removed, 0 unchanged" in result.output
