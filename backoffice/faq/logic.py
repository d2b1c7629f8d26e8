"""常见问题 back office: what pages and JSON share — who may see and change an entry, reading the form, saving in
the request's transaction (service call + audit row), committing, then keeping the bot's search index in step, and
the month window."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice import messages as common
from backoffice.faq import messages as text
from backoffice.security import is_admin
from knowledge.assistant import update_index
from workflows.clock import SHANGHAI, local, utcnow
from workflows.faq import service
from workflows.faq.models import FaqEntry
from workflows.staff.models import StaffUser

log = logging.getLogger("linli.backoffice.faq")
LIST_LIMIT = 200
LIMITS = {"question": 300, "answer": 2000, "category": 100, "alternative": 300, "alternatives": 20}


def visible_condition(staff: StaffUser) -> Any:
    """Entries this staff member sees: their communities' plus the shared ones (admins: all)."""
    if is_admin(staff):
        return FaqEntry.id.is_not(None)
    return FaqEntry.community_id.in_(staff.community_ids or {-1}) | FaqEntry.community_id.is_(None)


def may_edit(staff: StaffUser, entry: FaqEntry) -> bool:
    return is_admin(staff) or (entry.community_id is not None and entry.community_id in staff.community_ids)


async def visible_entry_or_404(session: AsyncSession, entry_id: int, staff: StaffUser) -> FaqEntry:
    """The entry if this staff member sees it, else 404 (same answer for another community's and unknown ids)."""
    entry = await session.get(FaqEntry, entry_id)
    if entry is None or not (is_admin(staff) or entry.community_id is None
                             or entry.community_id in staff.community_ids):
        raise HTTPException(status_code=404, detail=common.NOT_FOUND)
    return entry


async def editable_entry(session: AsyncSession, entry_id: int, staff: StaffUser) -> FaqEntry:
    """The entry if this staff member may change it: 404 out of scope, 403 for shared entries unless admin."""
    entry = await visible_entry_or_404(session, entry_id, staff)
    if not may_edit(staff, entry):
        raise HTTPException(status_code=403, detail=text.SHARED_ADMIN_ONLY)
    return entry


async def search_entries(session: AsyncSession, staff: StaffUser, *, q: str = "", category: str = "",
                         community_id: int | None = None) -> tuple[list[FaqEntry], int]:
    """Visible entries matching the words (question, answer, other phrasings) and category; (first 200, total)."""
    query = select(FaqEntry).where(visible_condition(staff)).order_by(
        FaqEntry.community_id.is_(None), FaqEntry.community_id, FaqEntry.category, FaqEntry.source,
        FaqEntry.position, FaqEntry.id)
    if category:
        query = query.where(FaqEntry.category == category)
    if community_id is not None:
        query = query.where(FaqEntry.community_id == community_id)
    rows = list(await session.scalars(query))
    words = q.split()
    if words:  # in Python: alternatives are a JSON list, and entries per community are few (hundreds)
        def haystack(e: FaqEntry) -> str:
            return " ".join([e.question, e.answer, e.category, *(e.alternatives or [])]).lower()
        rows = [e for e in rows if all(w.lower() in haystack(e) for w in words)]
    return rows[:LIST_LIMIT], len(rows)


async def categories(session: AsyncSession, staff: StaffUser) -> list[str]:
    return sorted(c for c in await session.scalars(
        select(FaqEntry.category).where(visible_condition(staff)).distinct()) if c)


@dataclass
class EntryInput:
    question: str
    answer: str
    category: str
    alternatives: list[str]


def read_entry(question: str, answer: str, category: str, alternatives: str | list[str]) -> tuple[
        EntryInput, dict[str, str]]:
    """Clean the typed values; errors by field name (nothing is saved when there are any)."""
    lines = alternatives.splitlines() if isinstance(alternatives, str) else list(alternatives or [])
    values = EntryInput(question=(question or "").strip(), answer=(answer or "").strip(),
                        category=(category or "").strip(), alternatives=[a.strip() for a in lines if a.strip()])
    errors: dict[str, str] = {}
    for name in ("question", "answer"):
        if not getattr(values, name):
            errors[name] = text.REQUIRED
    for name in ("question", "answer", "category"):
        if len(getattr(values, name)) > LIMITS[name]:
            errors[name] = text.TOO_LONG.format(limit=LIMITS[name])
    if len(values.alternatives) > LIMITS["alternatives"]:
        errors["alternatives"] = text.TOO_MANY_ALTERNATIVES.format(limit=LIMITS["alternatives"])
    elif any(len(a) > LIMITS["alternative"] for a in values.alternatives):
        errors["alternatives"] = text.TOO_LONG.format(limit=LIMITS["alternative"])
    return values, errors


async def _reindex(request: Request, *, upsert: list[FaqEntry] = (), remove: list[int] = ()) -> bool:
    """After the commit: the bot answers with the change at once. False if only the index lags (logged)."""
    try:
        await update_index(getattr(request.app.state, "knowledge", None), upsert=list(upsert), remove=list(remove))
        return True
    except Exception:  # noqa: BLE001 - the change is committed; `linli kb reindex` catches the index up
        log.exception("FAQ change saved but not indexed (upsert %s, remove %s)", [e.id for e in upsert], remove)
        return False


async def create(request: Request, session: AsyncSession, staff: StaffUser, *, community_id: int | None,
                 values: EntryInput) -> tuple[FaqEntry, bool]:
    """Add an entry (service writes the audit row), commit, then index it; (entry, indexed)."""
    entry = await service.create_entry(session, community_id=community_id, question=values.question,
                                       answer=values.answer, category=values.category,
                                       alternatives=values.alternatives, staff_id=staff.id)
    await session.commit()  # the index follows committed rows only
    return entry, await _reindex(request, upsert=[entry])


async def update(request: Request, session: AsyncSession, staff: StaffUser, entry_id: int,
                 values: EntryInput) -> tuple[FaqEntry, bool]:
    """Edit an entry in scope (404/403 otherwise), commit, then re-index it; (entry, indexed)."""
    await editable_entry(session, entry_id, staff)
    entry = await service.update_entry(session, entry_id=entry_id, question=values.question,
                                       answer=values.answer, category=values.category,
                                       alternatives=values.alternatives, staff_id=staff.id)
    await session.commit()  # the index follows committed rows only
    return entry, await _reindex(request, upsert=[entry])


async def delete(request: Request, session: AsyncSession, staff: StaffUser, entry_id: int) -> bool:
    """Delete an entry in scope (404/403 otherwise), commit, then drop it from the index; indexed?"""
    await editable_entry(session, entry_id, staff)
    await service.delete_entry(session, entry_id=entry_id, staff_id=staff.id)
    await session.commit()
    return await _reindex(request, remove=[entry_id])


def month_window(value: str) -> tuple[str, datetime, datetime]:
    """'2026-11' (local, Asia/Shanghai; empty: this month) -> (label, start, end) as aware datetimes; ValueError."""
    if value.strip():
        year, month = (int(part) for part in value.strip().split("-", 1))
        first = date(year, month, 1)
    else:
        today = local(utcnow()).date()
        first = date(today.year, today.month, 1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime(first.year, first.month, 1, tzinfo=SHANGHAI)
    end = datetime(following.year, following.month, 1, tzinfo=SHANGHAI)
    return f"{first.year:04d}-{first.month:02d}", start, end


def to_json(entry: FaqEntry, staff: StaffUser) -> dict[str, Any]:
    return {"id": entry.id, "community_id": entry.community_id, "question": entry.question, "answer": entry.answer,
            "category": entry.category, "alternatives": list(entry.alternatives or []), "kind": entry.kind.value,
            "source": entry.source, "citation": entry.citation, "editable": may_edit(staff, entry)}
