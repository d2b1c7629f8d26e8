"""常见问题: the FAQ the bot answers from — list with search and category filter, add / edit / delete (each saved
with an audit row, then the bot's search index updated at once), 待完善 (the month's unanswered and unhelpful
questions, most frequent first, with xlsx export). JSON under /admin/api/faq lives in backoffice/faq/api.py.

Scope: staff see their communities' entries and the shared ones (community None); they change their communities'
entries; only admins change shared entries (they answer for every community)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import SessionDep, Staff
from backoffice.exports import xlsx_response
from backoffice.faq import api, logic
from backoffice.faq import messages as text
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import is_admin, require_community, visible_communities
from workflows.faq.service import feedback_counts, list_top_unanswered
from workflows.staff.models import StaffUser

router = APIRouter()
router.include_router(api.router)
Reader = Staff("faq")
FORM_FIELDS = ("question", "answer", "category", "alternatives")


async def _community_options(session: AsyncSession, staff: StaffUser) -> list[tuple[str, str]]:
    options = [(str(c.id), c.name) for c in await visible_communities(session, staff)]
    return options + [("", text.SHARED)] if is_admin(staff) else options


async def _names(session: AsyncSession, staff: StaffUser) -> dict[int | None, str]:
    return {**{c.id: c.name for c in await visible_communities(session, staff)}, None: text.SHARED}


@router.get("/faq", include_in_schema=False)
async def faq_list(request: Request, session: SessionDep, staff: Reader, q: str = "", category: str = "") -> Response:
    rows, total = await logic.search_entries(session, staff, q=q.strip(), category=category)
    context = {"rows": rows, "total": total, "limit": logic.LIST_LIMIT, "q": q, "category": category,
               "categories": await logic.categories(session, staff), "names": await _names(session, staff),
               "editable": {e.id for e in rows if logic.may_edit(staff, e)}, "kind_doc": text.KIND_DOC}
    return render(request, "faq/list.html", context)


async def _form_page(request: Request, session: AsyncSession, staff: StaffUser, *, entry_id: int | None, values: dict,
                     errors: dict | None = None, status_code: int = 200, readonly: bool = False) -> Response:
    communities = await _community_options(session, staff) if entry_id is None else []
    return render(request, "faq/form.html", {"entry_id": entry_id, "values": values, "errors": errors or {},
                                             "communities": communities, "readonly": readonly},
                  status_code=status_code)


@router.get("/faq/new", include_in_schema=False)
async def faq_new(request: Request, session: SessionDep, staff: Reader, question: str = "",
                  community_id: str = "") -> Response:
    """The add form; 待完善's 添加为常见问题 opens it with the owner's question filled in."""
    return await _form_page(request, session, staff, entry_id=None,
                            values={"question": question[:logic.LIMITS["question"]],
                                    "community_id": community_id or None})  # None: the first community, not shared


def _community_of(staff: StaffUser, value: str) -> int | None:
    """The form's community: '' is shared for admins, the only community for others; ids must be in scope (404)."""
    value = value.strip()
    if not value and is_admin(staff):
        return None
    if not value and len(staff.community_ids) == 1:
        return next(iter(staff.community_ids))
    if not value.isdigit():
        raise ValueError
    return require_community(staff, int(value))


@router.post("/faq/new", include_in_schema=False)
async def faq_create(request: Request, community_id: str = Form(""), question: str = Form(""),
                     answer: str = Form(""), category: str = Form(""), alternatives: str = Form(""), *,
                     session: SessionDep, staff: Reader) -> Response:
    values, errors = logic.read_entry(question, answer, category, alternatives)
    try:
        community = _community_of(staff, community_id)
    except ValueError:
        errors["community_id"], community = text.REQUIRED, None
    if errors:
        return await _form_page(request, session, staff, entry_id=None, errors=errors, status_code=400,
                                values={"community_id": community_id, "question": question, "answer": answer,
                                        "category": category, "alternatives": alternatives})
    entry, indexed = await logic.create(request, session, staff, community_id=community, values=values)
    flash(request, text.CREATED if indexed else text.NOT_INDEXED, "ok" if indexed else "warn")
    return redirect(f"/admin/faq?{urlencode({'q': entry.question})}")


@router.get("/faq/pending", include_in_schema=False)
async def faq_pending(request: Request, session: SessionDep, staff: Reader, month: str = "", community_id: str = "",
                      format: str = "") -> Response:
    """待完善: the month's questions the FAQ could not answer or answered unhelpfully, most frequent first."""
    try:
        label, start, end = logic.month_window(month)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=text.BAD_MONTH) from exc
    communities = await visible_communities(session, staff)
    if not communities:
        raise HTTPException(status_code=404)
    chosen = require_community(staff, int(community_id)) if community_id.isdigit() else communities[0].id
    rows = await list_top_unanswered(session, community_id=chosen, since=start, until=end, limit=100)
    counts = await feedback_counts(session, community_id=chosen, since=start, until=end)
    name = next((c.name for c in communities if c.id == chosen), "")
    if format == "xlsx":
        return xlsx_response(f"待完善-{name}-{label}", ["问题", "次数", "原因", "最近一次"],
                             [[r.question, r.count, "、".join(text.REASONS.get(x, x) for x in r.reasons),
                               r.last_asked_at] for r in rows])
    return render(request, "faq/pending.html", {
        "rows": rows, "counts": counts, "month": label, "community_id": chosen, "community_name": name,
        "communities": [(c.id, c.name) for c in communities], "reasons": text.REASONS,
        "add_url": lambda question: "/admin/faq/new?" + urlencode({"question": question,
                                                                   "community_id": chosen})})


@router.get("/faq/{entry_id}", include_in_schema=False)
async def faq_edit(request: Request, entry_id: int, session: SessionDep, staff: Reader) -> Response:
    entry = await logic.visible_entry_or_404(session, entry_id, staff)
    values = {"question": entry.question, "answer": entry.answer, "category": entry.category,
              "alternatives": "\n".join(entry.alternatives or [])}
    return await _form_page(request, session, staff, entry_id=entry_id, values=values,
                            readonly=not logic.may_edit(staff, entry))


@router.post("/faq/{entry_id}", include_in_schema=False)
async def faq_update(request: Request, entry_id: int, question: str = Form(""), answer: str = Form(""),
                     category: str = Form(""), alternatives: str = Form(""), *, session: SessionDep,
                     staff: Reader) -> Response:
    values, errors = logic.read_entry(question, answer, category, alternatives)
    if errors:
        await logic.editable_entry(session, entry_id, staff)  # scope first: 404 / 403 before any error page
        return await _form_page(request, session, staff, entry_id=entry_id, errors=errors, status_code=400,
                                values={"question": question, "answer": answer, "category": category,
                                        "alternatives": alternatives})
    _, indexed = await logic.update(request, session, staff, entry_id, values)
    flash(request, text.UPDATED if indexed else text.NOT_INDEXED, "ok" if indexed else "warn")
    return redirect(f"/admin/faq/{entry_id}")


@router.post("/faq/{entry_id}/delete", include_in_schema=False)
async def faq_delete(request: Request, entry_id: int, session: SessionDep, staff: Reader) -> Response:
    indexed = await logic.delete(request, session, staff, entry_id)
    flash(request, text.DELETED if indexed else text.NOT_INDEXED, "ok" if indexed else "warn")
    return redirect("/admin/faq")


section = Section(name="faq", router=router,
                  nav=[NavLink("常见问题", "/admin/faq", section="faq", order=50)])
