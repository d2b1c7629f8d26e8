"""The FAQ system of record: idempotent imports with deletions, staff answers as entries, feedback, unanswered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflows.audit.models import AuditEvent
from workflows.clock import utcnow
from workflows.community.models import Community
from workflows.db import transaction
from workflows.faq.models import FaqEntry
from workflows.faq.service import (
    FaqDraft,
    create_entry_from_staff_answer,
    feedback_counts,
    list_entries,
    list_top_unanswered,
    record_feedback,
    record_unanswered,
    sync_source,
)
from workflows.staff.models import StaffUser

DRAFTS = [FaqDraft(question="物业费怎么交？", answer="到前台交。", category="缴费"),
          FaqDraft(question="快递放哪？", answer="南门快递柜。", alternatives=("快递在哪拿",))]


async def community_id(session, code: str = "YGHY") -> int:
    return await session.scalar(select(Community.id).where(Community.code == code))


async def test_reimporting_the_same_file_changes_nothing(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        cid = await community_id(session)
        first = await sync_source(session, community_id=cid, source="guide.csv", drafts=DRAFTS)
    async with transaction(any_runtime.sessions) as session:
        again = await sync_source(session, community_id=cid, source="guide.csv", drafts=DRAFTS)
    assert len(first.added) == 2 and not first.removed_ids
    assert not again.added and not again.removed_ids
    assert sorted(e.id for e in again.unchanged) == sorted(e.id for e in first.added)


async def test_rows_gone_from_the_file_are_deleted_and_edited_rows_replaced(runtime):
    async with transaction(runtime.sessions) as session:
        cid = await community_id(session)
        first = await sync_source(session, community_id=cid, source="guide.csv", drafts=DRAFTS)
        ids = {e.question: e.id for e in first.added}
        edited = [FaqDraft(question="物业费怎么交？", answer="到前台或银行代扣交。", category="缴费")]
        second = await sync_source(session, community_id=cid, source="guide.csv", drafts=edited)
        assert sorted(second.removed_ids) == sorted(ids.values())
        [new] = second.added
        assert new.answer == "到前台或银行代扣交。"
        remaining = await list_entries(session, community_id=cid)
        assert [e.id for e in remaining] == [new.id]


async def test_sources_and_communities_are_kept_apart_and_shared_entries_listed_for_all(runtime):
    async with transaction(runtime.sessions) as session:
        sunny, lake = await community_id(session), await community_id(session, "CHY")
        await sync_source(session, community_id=sunny, source="guide.csv", drafts=DRAFTS)
        await sync_source(session, community_id=lake, source="guide.csv", drafts=DRAFTS[:1])
        await sync_source(session, community_id=None, source="shared.csv",
                          drafts=[FaqDraft(question="怎么找人工？", answer="回复转人工。")])
        await sync_source(session, community_id=lake, source="guide.csv", drafts=[])
        assert len(await list_entries(session, community_id=sunny)) == 3
        assert [e.question for e in await list_entries(session, community_id=lake)] == ["怎么找人工？"]


async def test_a_staff_answer_becomes_a_faq_entry_with_an_audit_row(runtime):
    async with transaction(runtime.sessions) as session:
        cid = await community_id(session)
        staff_id = await session.scalar(select(StaffUser.id).where(StaffUser.username == "kefu"))
        entry = await create_entry_from_staff_answer(session, community_id=cid, question="  游泳池几点开？ ",
                                                     answer="夏季每天 9:00–21:00 开放。", staff_id=staff_id)
        assert (entry.question, entry.citation) == ("游泳池几点开？", "物业客服答复")
        assert entry.created_by_staff_id == staff_id
        event = await session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "faq_entry"))
        assert event.action == "create_from_staff_answer" and event.actor == f"staff:{staff_id}"
        assert await session.get(FaqEntry, entry.id) is not None


async def test_unanswered_questions_are_grouped_and_most_frequent_first(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        cid = await community_id(session)
        for openid, text in [("o1", "游泳池几点开？"), ("o2", "游泳池 几点开"), ("o3", "请问游泳池几点开"),
                             ("o1", "能在楼下烧烤吗"), ("o4", "能在楼下烧烤吗？")]:
            await record_unanswered(session, community_id=cid, openid=openid, question=text)
        await record_feedback(session, community_id=cid, openid="o5", question="健身房要钱吗", entry_id="12",
                              helpful=False)
        await record_feedback(session, community_id=cid, openid="o6", question="物业费怎么交", entry_id=3,
                              helpful=True)
    async with any_runtime.sessions() as session:
        top = await list_top_unanswered(session, community_id=cid, since=utcnow() - timedelta(days=30))
        counts = await feedback_counts(session, community_id=cid, since=utcnow() - timedelta(days=30))
        later = await list_top_unanswered(session, community_id=cid, since=utcnow() + timedelta(minutes=1))
    assert [(t.question, t.count) for t in top] == [("请问游泳池几点开", 3), ("能在楼下烧烤吗？", 2),
                                                    ("健身房要钱吗", 1)]
    assert top[2].reasons == ("unhelpful",) and top[0].reasons == ("unknown",)
    assert counts == {"helpful": 1, "unhelpful": 1}
    assert later == []
