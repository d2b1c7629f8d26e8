"""An empty scope (no shared entries, a community with none, a collection emptied by deletions) must not break the
answers of the scopes that have entries (issue #17: "cannot reshape array of size 0")."""

from __future__ import annotations

from knowledge.assistant import Assistant
from knowledge.entries import KnowledgeEntry
from knowledge.index import KnowledgeIndex, open_chroma
from tests.services import test_settings

FEE = KnowledgeEntry(id="1", community_id=7, question="物业费怎么交？", answer="到物业服务中心前台交，微信支付宝都行。",
                     citation="物业服务指南·缴费")
SHARED = KnowledgeEntry(id="2", community_id=None, question="怎么找人工客服？", answer="回复“转人工”。",
                        citation="邻里使用说明")


def fresh_index(tmp_path, embedder) -> KnowledgeIndex:
    return KnowledgeIndex(store=open_chroma(test_settings(tmp_path), embedder.name), embedder=embedder)


async def test_no_shared_entries_at_all_still_answers_the_communitys_own(tmp_path, embedder, classifier):
    index = fresh_index(tmp_path, embedder)
    index.upsert([FEE])
    answer = await Assistant(index=index, classifier=classifier).answer(community_id=7, question="管理费在哪交")
    assert answer.kind == "answer" and answer.entry_id == "1"


async def test_a_shared_scope_emptied_by_deletions_still_answers_the_communitys_own(tmp_path, embedder, classifier):
    index = fresh_index(tmp_path, embedder)
    index.upsert([FEE, SHARED])
    index.remove([SHARED.id])  # the shared collection exists and holds nothing
    answer = await Assistant(index=index, classifier=classifier).answer(community_id=7, question="管理费在哪交")
    assert answer.kind == "answer" and answer.entry_id == "1"


async def test_a_community_emptied_by_deletions_gets_the_shared_answers(tmp_path, embedder, classifier):
    index = fresh_index(tmp_path, embedder)
    index.upsert([FEE, SHARED])
    index.remove([FEE.id])
    assistant = Assistant(index=index, classifier=classifier)
    assert (await assistant.answer(community_id=7, question="怎么找人工客服")).entry_id == "2"
    assert (await assistant.answer(community_id=8, question="管理费在哪交")).kind == "unknown"


async def test_no_community_is_answered_from_the_shared_entries_only(tmp_path, embedder, classifier):
    """An owner not bound yet on an account with several communities (bot.router.Bot.faq_community): community 7's
    own entry is never their answer, nor one of their choices, nor shown when its id is asked for."""
    index = fresh_index(tmp_path, embedder)
    index.upsert([FEE, SHARED])
    assistant = Assistant(index=index, classifier=classifier)
    assert (await assistant.answer(community_id=None, question="怎么找人工客服")).entry_id == "2"
    unbound = await assistant.answer(community_id=None, question="物业费怎么交？")
    assert unbound.entry_id != "1" and "1" not in [entry_id for _, entry_id in unbound.choices]
    assert {c.entry.id for c in index.candidates(None, "物业费怎么交？")} == {"2"}
    assert (await assistant.answer(community_id=7, question="物业费怎么交？")).entry_id == "1"
    assert (await assistant.answer_entry(community_id=None, entry_id="1")).kind == "unknown"
