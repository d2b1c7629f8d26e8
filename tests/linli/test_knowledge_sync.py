"""The FAQ table is the system of record: a process's index is rebuilt when it is missing or stale, and follows the
table's changes (checked by count and checksum)."""

from __future__ import annotations

from knowledge.assistant import build_assistant
from knowledge.entries import KnowledgeEntry
from linli.knowledge_sync import IndexSync
from workflows.db import transaction
from workflows.faq.service import create_entry, delete_entry, update_entry


async def add(runtime, question: str, answer: str):
    async with transaction(runtime.sessions) as session:
        return await create_entry(session, community_id=1, question=question, answer=answer, staff_id=1)


async def test_a_missing_index_is_rebuilt_from_the_table_at_start_up(settings, runtime):
    fee = await add(runtime, "物业费怎么交？", "到物业服务中心前台交，微信支付宝都行。")
    await add(runtime, "快递放哪里？", "南门的快递柜。")
    assistant = build_assistant(settings)
    assert assistant.index.entries() == []  # a fresh Chroma folder: the index knows nothing
    sync = IndexSync(runtime.sessions, assistant)
    await sync.run_once()
    assert sync.status.in_step and sync.status.entries == 2
    answer = await assistant.answer(community_id=1, question="管理费在哪交")
    assert answer.kind == "answer" and answer.entry_id == str(fee.id)


async def test_a_stale_index_is_corrected_entry_by_entry(settings, runtime):
    fee = await add(runtime, "物业费怎么交？", "到物业服务中心前台交。")
    assistant = build_assistant(settings)
    sync = IndexSync(runtime.sessions, assistant)
    await sync.run_once()
    # A restored backup of the folder: an entry the table no longer has, and an old text of one it has.
    await assistant.index_entries([KnowledgeEntry(id="999", community_id=1, question="泳池几点开？", answer="9点。"),
                                   KnowledgeEntry(id=str(fee.id), community_id=1, question="物业费怎么交？",
                                                  answer="旧的答案。")])
    assert await sync.sync() == (1, 1)
    assert sync.status.in_step
    assert assistant.index.entry("999") is None
    assert assistant.index.entry(str(fee.id)).answer == "到物业服务中心前台交。"


async def test_edits_and_deletions_in_the_table_reach_the_index_at_the_next_step(settings, runtime):
    fee = await add(runtime, "物业费怎么交？", "到物业服务中心前台交。")
    parcel = await add(runtime, "快递放哪里？", "南门的快递柜。")
    assistant = build_assistant(settings)
    sync = IndexSync(runtime.sessions, assistant)
    await sync.run_once()
    async with transaction(runtime.sessions) as session:
        await update_entry(session, entry_id=fee.id, question="物业费怎么交？", answer="在邻里公众号里交。", staff_id=1)
        await delete_entry(session, entry_id=parcel.id, staff_id=1)
    await sync.run_once()
    assert sync.status.in_step and sync.status.entries == 1
    assert assistant.index.entry(str(fee.id)).answer == "在邻里公众号里交。"
    assert assistant.index.entry(str(parcel.id)) is None
