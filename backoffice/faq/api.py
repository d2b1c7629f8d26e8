"""JSON for 常见问题 under /admin/api/faq: list, one entry, create, update, delete, and the month's 待完善 summary.
Same session, roles and scope as the pages; writes need the X-CSRF-Token header. A bad field answers 422
{"detail": [{"loc", "msg", "type"}]} (backoffice/api_errors.py); another community's id answers 404, a shared
entry changed by a non-admin 403."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from backoffice.api_errors import field_error
from backoffice.deps import SessionDep, Staff
from backoffice.faq import logic
from backoffice.faq import messages as text
from backoffice.security import is_admin, require_community, visible_communities
from workflows.faq.service import feedback_counts, list_top_unanswered

router = APIRouter()
Reader = Staff("faq")


class EntryIn(BaseModel):
    question: str
    answer: str
    category: str = ""
    alternatives: list[str] = []


class NewEntryIn(EntryIn):
    community_id: int | None = None  # None: shared by every community (admins only)


def _checked(payload: EntryIn) -> logic.EntryInput:
    values, errors = logic.read_entry(payload.question, payload.answer, payload.category, payload.alternatives)
    if errors:
        field, message = next(iter(errors.items()))
        raise field_error(field, message)
    return values


@router.get("/api/faq", tags=["faq"])
async def api_list(session: SessionDep, staff: Reader, q: str = "", category: str = "") -> dict:
    """Visible entries (own communities + shared), filtered by words and category; at most 200."""
    rows, total = await logic.search_entries(session, staff, q=q.strip(), category=category)
    return {"total": total, "items": [logic.to_json(e, staff) for e in rows]}


@router.get("/api/faq/pending", tags=["faq"])
async def api_pending(session: SessionDep, staff: Reader, month: str = "", community_id: int | None = None) -> dict:
    """待完善 for a month (YYYY-MM, local time; default this month): grouped questions and feedback counts."""
    try:
        label, start, end = logic.month_window(month)
    except ValueError as exc:
        raise field_error("month", text.BAD_MONTH, where="query") from exc
    communities = await visible_communities(session, staff)
    if community_id is None and not communities:
        raise HTTPException(status_code=404)
    chosen = require_community(staff, community_id) if community_id is not None else communities[0].id
    rows = await list_top_unanswered(session, community_id=chosen, since=start, until=end, limit=100)
    counts = await feedback_counts(session, community_id=chosen, since=start, until=end)
    return {"month": label, "community_id": chosen, "feedback": counts,
            "items": [{"question": r.question, "count": r.count, "reasons": list(r.reasons),
                       "last_asked_at": r.last_asked_at.isoformat()} for r in rows]}


@router.get("/api/faq/{entry_id}", tags=["faq"])
async def api_get(entry_id: int, session: SessionDep, staff: Reader) -> dict:
    return logic.to_json(await logic.visible_entry_or_404(session, entry_id, staff), staff)


@router.post("/api/faq", tags=["faq"])
async def api_create(request: Request, payload: NewEntryIn, session: SessionDep, staff: Reader) -> dict:
    """Add an entry; the bot answers with it at once (`indexed` false: saved, index catches up on reindex)."""
    if payload.community_id is None and not is_admin(staff):
        raise field_error("community_id", text.REQUIRED)
    community = require_community(staff, payload.community_id) if payload.community_id is not None else None
    entry, indexed = await logic.create(request, session, staff, community_id=community, values=_checked(payload))
    return {**logic.to_json(entry, staff), "indexed": indexed}


@router.put("/api/faq/{entry_id}", tags=["faq"])
async def api_update(request: Request, entry_id: int, payload: EntryIn, session: SessionDep, staff: Reader) -> dict:
    await logic.editable_entry(session, entry_id, staff)  # 404 / 403 before a 422
    entry, indexed = await logic.update(request, session, staff, entry_id, _checked(payload))
    return {**logic.to_json(entry, staff), "indexed": indexed}


@router.delete("/api/faq/{entry_id}", tags=["faq"])
async def api_delete(request: Request, entry_id: int, session: SessionDep, staff: Reader) -> dict:
    return {"id": entry_id, "deleted": True, "indexed": await logic.delete(request, session, staff, entry_id)}
