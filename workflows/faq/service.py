"""The only code that changes FAQ rows: imports (idempotent by content hash, deletions applied), staff answers
turned into entries, feedback and unanswered questions. After a change the caller updates the knowledge index
(knowledge.assistant.update_index) with the returned rows and removed ids."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.audit.service import record_event
from workflows.faq.models import FaqEntry, FaqFeedback, FaqKind, UnansweredQuestion, UnansweredReason
from workflows.text import comparable

STAFF_SOURCE = "staff"
STAFF_CITATION = "物业客服答复"


@dataclass(frozen=True)
class FaqDraft:
    """One entry as parsed from a file (knowledge.importers.Draft has the same fields)."""

    question: str
    answer: str
    category: str = ""
    alternatives: tuple[str, ...] = ()
    citation: str = ""
    kind: str = "faq"


@dataclass
class SyncReport:
    added: list[FaqEntry] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    unchanged: list[FaqEntry] = field(default_factory=list)


@dataclass(frozen=True)
class UnansweredSummary:
    question: str  # the latest wording
    count: int
    last_asked_at: datetime
    reasons: tuple[str, ...]


def draft_hash(draft: FaqDraft) -> str:
    """Content hash of an entry: the same content is never stored twice for one source."""
    payload = json.dumps([draft.question.strip(), draft.answer.strip(), [a.strip() for a in draft.alternatives],
                          draft.category.strip(), draft.citation.strip(), draft.kind], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def question_key(text: str) -> str:
    """Normalised question for grouping: full-width folded, lower case, punctuation and greetings removed."""
    text = comparable(text or "").lower()
    text = re.sub(r"[\s\W_]+", "", text)
    return re.sub(r"^(请问|你好|您好|问一下|想问一下|我想问)", "", text)[:200]


async def sync_source(session: AsyncSession, *, community_id: int | None, source: str,
                      drafts: Sequence[FaqDraft], actor: str = "import") -> SyncReport:
    """Make the entries of (community, source) exactly the drafts: unchanged content is kept (same id), new content
    added, entries no longer in the file removed. Idempotent."""
    scope = FaqEntry.community_id.is_(None) if community_id is None else FaqEntry.community_id == community_id
    existing = list(await session.scalars(select(FaqEntry).where(scope, FaqEntry.source == source)))
    by_hash = {entry.content_hash: entry for entry in existing}
    report = SyncReport()
    seen: set[str] = set()
    for position, draft in enumerate(drafts):
        digest = draft_hash(draft)
        if digest in seen:
            continue
        seen.add(digest)
        if digest in by_hash:
            entry = by_hash.pop(digest)
            entry.position = position
            report.unchanged.append(entry)
            continue
        entry = FaqEntry(community_id=community_id, source=source, kind=FaqKind(draft.kind), category=draft.category,
                         question=draft.question, answer=draft.answer, alternatives=list(draft.alternatives),
                         citation=draft.citation, content_hash=digest, position=position)
        session.add(entry)
        report.added.append(entry)
    for stale in by_hash.values():
        report.removed_ids.append(stale.id)
        await session.delete(stale)
    await session.flush()
    if report.added or report.removed_ids:
        record_event(session, entity_type="faq_source", entity_id=source[:40], action="import", actor=actor,
                     community_id=community_id,
                     data={"added": len(report.added), "removed": len(report.removed_ids),
                           "unchanged": len(report.unchanged)})
    return report


async def list_entries(session: AsyncSession, *, community_id: int | None = None,
                       include_shared: bool = True) -> list[FaqEntry]:
    """Entries of one community (plus shared ones), or all entries when community_id is None."""
    query = select(FaqEntry).order_by(FaqEntry.community_id, FaqEntry.source, FaqEntry.position, FaqEntry.id)
    if community_id is not None:
        condition = FaqEntry.community_id == community_id
        if include_shared:
            condition = condition | FaqEntry.community_id.is_(None)
        query = query.where(condition)
    return list(await session.scalars(query))


async def get_entry(session: AsyncSession, *, entry_id: int) -> FaqEntry | None:
    """One entry by id."""
    return await session.get(FaqEntry, entry_id)


async def update_entry(session: AsyncSession, *, entry_id: int, question: str, answer: str, staff_id: int,
                       category: str | None = None, alternatives: Sequence[str] | None = None) -> FaqEntry:
    """Staff edit an entry's text; the caller re-indexes the returned row."""
    entry = await session.get(FaqEntry, entry_id)
    if entry is None:
        raise LookupError(f"FAQ entry {entry_id} does not exist")
    before = _audit_view(entry)
    entry.question, entry.answer = question.strip(), answer.strip()
    if category is not None:
        entry.category = category.strip()
    if alternatives is not None:
        entry.alternatives = [a.strip() for a in alternatives if a.strip()]
    entry.content_hash = draft_hash(FaqDraft(question=entry.question, answer=entry.answer, category=entry.category,
                                             alternatives=tuple(entry.alternatives), citation=entry.citation,
                                             kind=entry.kind.value))
    record_event(session, entity_type="faq_entry", entity_id=entry.id, action="edit", actor=Actor.of_staff_id(staff_id),
                 community_id=entry.community_id, data={"before": before, "after": _audit_view(entry)})
    await session.flush()
    return entry


def _audit_view(entry: FaqEntry) -> dict:
    return {"question": entry.question, "answer": entry.answer, "category": entry.category,
            "alternatives": list(entry.alternatives or [])}


async def create_entry(session: AsyncSession, *, community_id: int | None, question: str, answer: str,
                       staff_id: int, category: str = "", alternatives: Sequence[str] = ()) -> FaqEntry:
    """Staff add an entry in the back office (community_id None: shared); the caller indexes the returned row."""
    question, answer = question.strip()[:300], answer.strip()
    if not question or not answer:
        raise ValueError("a FAQ entry needs a question and an answer")
    draft = FaqDraft(question=question, answer=answer, category=category.strip(),
                     alternatives=tuple(a.strip() for a in alternatives if a.strip()), citation=STAFF_CITATION)
    entry = FaqEntry(community_id=community_id, source=STAFF_SOURCE, kind=FaqKind.FAQ, category=draft.category,
                     question=question, answer=answer, alternatives=list(draft.alternatives),
                     citation=draft.citation, content_hash=draft_hash(draft), created_by_staff_id=staff_id)
    session.add(entry)
    await session.flush()
    record_event(session, entity_type="faq_entry", entity_id=entry.id, action="create",
                 actor=Actor.of_staff_id(staff_id), community_id=community_id, data={"after": _audit_view(entry)})
    return entry


async def delete_entry(session: AsyncSession, *, entry_id: int, staff_id: int) -> bool:
    """Staff remove an entry; the caller removes its id from the index."""
    entry = await session.get(FaqEntry, entry_id)
    if entry is None:
        return False
    record_event(session, entity_type="faq_entry", entity_id=entry.id, action="delete",
                 actor=Actor.of_staff_id(staff_id), community_id=entry.community_id, data={"question": entry.question})
    await session.delete(entry)
    await session.flush()
    return True


async def create_entry_from_staff_answer(session: AsyncSession, *, community_id: int, question: str, answer: str,
                                         staff_id: int) -> FaqEntry:
    """One click in the back office: a staff answer to an owner becomes a FAQ entry of the community.
    Then call knowledge.assistant.update_index(settings, upsert=[entry]) so the bot knows it at once."""
    question, answer = question.strip()[:300], answer.strip()
    if not question or not answer:
        raise ValueError("a FAQ entry needs a question and an answer")
    draft = FaqDraft(question=question, answer=answer, category="客服答复", citation=STAFF_CITATION)
    entry = FaqEntry(community_id=community_id, source=STAFF_SOURCE, kind=FaqKind.FAQ, category=draft.category,
                     question=question, answer=answer, alternatives=[], citation=draft.citation,
                     content_hash=draft_hash(draft), created_by_staff_id=staff_id)
    session.add(entry)
    await session.flush()
    record_event(session, entity_type="faq_entry", entity_id=entry.id, action="create_from_staff_answer",
                 actor=Actor.of_staff_id(staff_id), community_id=community_id, data={"question": question})
    return entry


async def record_feedback(session: AsyncSession, *, community_id: int, openid: str, question: str,
                          entry_id: int | str | None, helpful: bool) -> FaqFeedback:
    """The owner's 1/2 after an answer; an unhelpful answer also lists the question for staff."""
    feedback = FaqFeedback(community_id=community_id, openid=openid, question=(question or "")[:2000],
                           entry_id=int(entry_id) if entry_id not in (None, "") else None, helpful=helpful)
    session.add(feedback)
    if not helpful and question:
        await record_unanswered(session, community_id=community_id, openid=openid, question=question,
                                reason=UnansweredReason.UNHELPFUL)
    await session.flush()
    return feedback


async def record_unanswered(session: AsyncSession, *, community_id: int, openid: str, question: str,
                            reason: UnansweredReason | str = UnansweredReason.UNKNOWN) -> UnansweredQuestion:
    """A question the bot could not answer (or answered unhelpfully), kept for staff to grow the FAQ."""
    row = UnansweredQuestion(community_id=community_id, openid=openid, question=(question or "")[:2000],
                             question_key=question_key(question) or "-", reason=UnansweredReason(reason))
    session.add(row)
    await session.flush()
    return row


async def list_top_unanswered(session: AsyncSession, *, community_id: int, since: datetime,
                              limit: int = 20, until: datetime | None = None) -> list[UnansweredSummary]:
    """Unanswered and unhelpful questions since a moment (and before `until`), the same question grouped, most
    frequent first."""
    window = [UnansweredQuestion.community_id == community_id, UnansweredQuestion.created_at >= since]
    if until is not None:
        window.append(UnansweredQuestion.created_at < until)
    grouped = (
        select(UnansweredQuestion.question_key, func.count().label("n"),
               func.max(UnansweredQuestion.created_at).label("last"), func.max(UnansweredQuestion.id).label("latest"))
        .where(*window)
        .group_by(UnansweredQuestion.question_key)
        .order_by(func.count().desc(), func.max(UnansweredQuestion.created_at).desc())
        .limit(limit)
    )
    rows = (await session.execute(grouped)).all()
    if not rows:
        return []
    latest = {r.id: r for r in await session.scalars(
        select(UnansweredQuestion).where(UnansweredQuestion.id.in_([row.latest for row in rows])))}
    reasons: dict[str, set[str]] = {}
    for key, reason in (await session.execute(
            select(UnansweredQuestion.question_key, UnansweredQuestion.reason).distinct()
            .where(*window, UnansweredQuestion.question_key.in_([row.question_key for row in rows])))).all():
        reasons.setdefault(key, set()).add(str(reason.value if hasattr(reason, "value") else reason))
    return [UnansweredSummary(question=latest[row.latest].question, count=row.n,
                              last_asked_at=latest[row.latest].created_at,
                              reasons=tuple(sorted(reasons.get(row.question_key, ()))))
            for row in rows]


async def feedback_counts(session: AsyncSession, *, community_id: int, since: datetime,
                          until: datetime | None = None) -> dict[str, int]:
    """Helpful / unhelpful answers since a moment and before `until` (the back office's monthly summary)."""
    window = [FaqFeedback.community_id == community_id, FaqFeedback.created_at >= since]
    if until is not None:
        window.append(FaqFeedback.created_at < until)
    rows = (await session.execute(
        select(FaqFeedback.helpful, func.count()).where(*window).group_by(FaqFeedback.helpful))).all()
    counts = {"helpful": 0, "unhelpful": 0}
    for helpful, n in rows:
        counts["helpful" if helpful else "unhelpful"] = n
    return counts


async def remove_source(session: AsyncSession, *, community_id: int | None, source: str) -> list[int]:
    """Remove every entry of a source; returns the removed ids for the index."""
    scope = FaqEntry.community_id.is_(None) if community_id is None else FaqEntry.community_id == community_id
    ids = list(await session.scalars(select(FaqEntry.id).where(scope, FaqEntry.source == source)))
    if ids:
        await session.execute(delete(FaqEntry).where(FaqEntry.id.in_(ids)))
    return ids


# --- what the knowledge index is kept in step with (linli.knowledge_sync) ---

async def change_signal(session: AsyncSession) -> tuple[int, str]:
    """A cheap sign that the table changed: how many entries and when the latest one changed (an edit or an added
    row moves the latter, a deletion the former). Polled every second by each process."""
    count, latest = (await session.execute(select(func.count(), func.max(FaqEntry.updated_at))
                                           .select_from(FaqEntry))).one()
    return int(count), str(latest)


async def entry_versions(session: AsyncSession) -> dict[str, tuple[int | None, str]]:
    """Every entry's id (as text) -> (community, content hash): what an index must hold to agree with the table."""
    rows = await session.execute(select(FaqEntry.id, FaqEntry.community_id, FaqEntry.content_hash))
    return {str(entry_id): (community_id, digest) for entry_id, community_id, digest in rows}


async def entries_by_id(session: AsyncSession, *, entry_ids: Sequence[int]) -> list[FaqEntry]:
    """The entries with these ids (missing ids are skipped)."""
    if not entry_ids:
        return []
    return list(await session.scalars(select(FaqEntry).where(FaqEntry.id.in_(list(entry_ids)))))
