"""Work orders (报修工单) for staff: list with filters (status, category, building, SLA), detail with timeline and
photos, assign/reassign, transition buttons from the state table, comments with photos, the monthly duplicate
report. Pages under /admin/repairs, the same actions as JSON under /admin/api/repairs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import section_access
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.repairs.photos import PhotoRejected, photo_response, save_upload
from backoffice.security import actor_of, get_scoped_or_404, runtime_of, visible_communities
from workflows.access import Actor, ActorKind, allowed_actions
from workflows.audit.models import AuditEvent
from workflows.clock import local, utcnow
from workflows.community.service import list_buildings
from workflows.db import transaction
from workflows.repairs import service
from workflows.repairs.dispatch import category_specs, open_load, technicians
from workflows.repairs.duplicates import monthly_duplicate_report
from workflows.repairs.models import STATUS_LABELS, RepairStatus, RepairTicket
from workflows.repairs.queries import RepairFilter, list_tickets, sla_state, timeline
from workflows.repairs.states import ACTION_LABELS
from workflows.staff.models import Role, StaffUser
from workflows.statemachine import TransitionNotAllowed

router = APIRouter()
may_view = section_access("repairs")
may_assign = section_access("repairs", "assign")
BUTTONS = ("accept", "start", "wait_parts", "resume", "complete", "decline", "close", "cancel", "reopen")
SLA_LABELS = {"breached": "已超时", "at_risk": "快超时", "ok": "正常", "done": "已结束"}
TAKEN = "这张工单刚被其他师傅接单了，请刷新看看。"
NOT_NOW = "这张工单现在不能「{label}」（状态：{status}）。"
NOT_YOURS = "这张工单不是派给您的，不能「{label}」。"


def _filters(status: str, category: str, building: str, sla: str, mine: str, q: str,
             staff: StaffUser) -> RepairFilter:
    return RepairFilter(status=status if status in {"open", *RepairStatus} else "", category=category[:20],
                        building_id=int(building) if building.isdigit() else None,
                        sla=sla if sla in SLA_LABELS else "", q=q.strip()[:50],
                        assignee_id=staff.id if mine == "1" else None)


def _scope(staff: StaffUser) -> set[int] | None:
    return None if staff.role == Role.ADMIN else staff.community_ids


@router.get("/repairs", include_in_schema=False)
async def repair_list(request: Request, status: str = "open", category: str = "", building: str = "",
                      sla: str = "", mine: str = "", q: str = "", format: str = "",
                      staff: StaffUser = Depends(may_view)) -> Response:
    filters = _filters(status, category, building, sla, mine, q, staff)
    now = utcnow()
    async with transaction(runtime_of(request).sessions) as session:
        tickets = await list_tickets(session, community_ids=_scope(staff), filters=filters)
        communities = await visible_communities(session, staff)
        buildings = [(b.id, f"{c.name if len(communities) > 1 else ''}{b.name}") for c in communities
                     for b in await list_buildings(session, community_id=c.id)]
        categories = [s.name for s in await category_specs(session, community_id=communities[0].id)] \
            if communities else []
        report = await monthly_duplicate_report(session, year=local(now).year, month=local(now).month,
                                                community_ids=_scope(staff))
    rows = [{"t": t, "sla": sla_state(t, now), "technician": t.assignee.display_name if t.assignee else ""}
            for t in tickets]
    if format == "xlsx":
        return xlsx_response("报修工单", ["单号", "状态", "类别", "地点", "问题", "师傅", "提交时间", "时限", "评分"],
                             [[r["t"].number, r["t"].status_label, r["t"].category, r["t"].location_text,
                               r["t"].description, r["technician"], r["t"].created_at, SLA_LABELS[r["sla"]],
                               r["t"].rating] for r in rows])
    return render(request, "repairs/list.html", {
        "rows": rows, "f": filters, "mine": mine == "1", "statuses": STATUS_LABELS, "sla_labels": SLA_LABELS,
        "buildings": buildings, "categories": categories, "report": report})


async def _technician_options(session: AsyncSession, ticket: RepairTicket) -> list[tuple[int, str]]:
    people = await technicians(session, community_id=ticket.community_id)
    load = await open_load(session, staff_ids=[p.id for p in people])
    return [(p.id, f"{p.display_name}（{p.skills or '—'}，在办 {load[p.id]} 单）") for p in people]


async def _detail(request: Request, session: AsyncSession, ticket: RepairTicket, staff: StaffUser, *,
                  errors: dict | None = None, values: dict | None = None, status_code: int = 200) -> Response:
    allowed = allowed_actions(Actor.of_staff(staff), ticket)
    actions = [a for a in BUTTONS if a in allowed]
    technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    entries = [(moment, kind, row, _author(row)) for moment, kind, row in await timeline(session, ticket=ticket)]
    staff_ids = {int(who) for _, _, _, (kind, who) in entries if kind == ActorKind.STAFF and who.isdigit()}
    names = dict((await session.execute(select(StaffUser.id, StaffUser.display_name).where(
        StaffUser.id.in_(staff_ids)))).tuples().all()) if staff_ids else {}  # one query for every author
    items = [{"at": moment, "kind": kind, "row": row, "who": _who(author, names)}
             for moment, kind, row, author in entries]
    can_assign = "assign" in allowed
    return render(request, "repairs/detail.html", {
        "t": ticket, "technician": technician, "sla": sla_state(ticket), "sla_labels": SLA_LABELS,
        "actions": [(a, ACTION_LABELS[a]) for a in actions], "timeline": items, "statuses": STATUS_LABELS,
        "options": await _technician_options(session, ticket) if can_assign else [], "can_assign": can_assign,
        "errors": errors or {}, "values": values or {}}, status_code=status_code)


def _author(row: object) -> tuple[str, str]:
    """(kind, id) of who made a timeline row: audit rows store them as columns; a note has its staff_id, else it is
    the owner's (owner_detail, feedback) or the system's."""
    if isinstance(row, AuditEvent):
        return row.actor_kind, row.actor_id
    staff_id = getattr(row, "staff_id", None)
    if staff_id:
        return ActorKind.STAFF, str(staff_id)
    return (ActorKind.OWNER, "") if str(getattr(row, "kind", "")).startswith("owner") else (ActorKind.SYSTEM, "")


def _who(author: tuple[str, str], names: dict[int, str]) -> str:
    kind, who = author
    if kind == ActorKind.STAFF:
        return names.get(int(who), f"员工{who}") if who.isdigit() else "员工"
    return "业主" if kind == ActorKind.OWNER else "系统"


@router.get("/repairs/{ticket_id}", include_in_schema=False)
async def repair_detail(request: Request, ticket_id: int, staff: StaffUser = Depends(may_view)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        return await _detail(request, session, ticket, staff)


@router.get("/repairs/{ticket_id}/photos/{index}", include_in_schema=False)
async def repair_photo(request: Request, ticket_id: int, index: int, staff: StaffUser = Depends(may_view)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        photos = list(ticket.photos)
    return photo_response(runtime_of(request).settings.media_dir, photos, index)


async def _perform(session: AsyncSession, request: Request, ticket: RepairTicket, action: str, staff: StaffUser,
                   note: str) -> str | None:
    """Apply one action; returns an error message for the staff member, or None when done."""
    label, status = ACTION_LABELS.get(action, action), ticket.status_label
    if action not in BUTTONS:
        raise HTTPException(status_code=404)
    try:
        await service.perform(session, ticket=ticket, action=action, actor=actor_of(staff), note=note[:500],
                              policy=service.RepairPolicy.from_settings(runtime_of(request).settings))
    except service.TicketTaken:
        return TAKEN
    except service.NotYourTicket:
        return NOT_YOURS.format(label=label)
    except TransitionNotAllowed:
        return NOT_NOW.format(label=label, status=status)
    return None


class Undo(Exception):
    """Leave the transaction without keeping anything; carries the message for the staff member."""


@router.post("/repairs/{ticket_id}/act/{action}", include_in_schema=False)
async def repair_act(request: Request, ticket_id: int, action: str, note: str = Form(""),
                     staff: StaffUser = Depends(may_view)) -> Response:
    problem = None
    try:
        async with transaction(runtime_of(request).sessions) as session:
            ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
            problem = await _perform(session, request, ticket, action, staff, note)
            if problem is not None:
                raise Undo(problem)
    except Undo:
        pass
    flash(request, problem or f"已{ACTION_LABELS[action]}。", "error" if problem else "ok")
    return redirect(f"/admin/repairs/{ticket_id}")


@router.post("/repairs/{ticket_id}/assign", include_in_schema=False)
async def repair_assign(request: Request, ticket_id: int, technician_id: str = Form(""),
                        staff: StaffUser = Depends(may_assign)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        technician = await session.get(StaffUser, int(technician_id)) if technician_id.isdigit() else None
        if technician is None or technician.role != Role.TECHNICIAN or \
                ticket.community_id not in technician.community_ids:
            return await _detail(request, session, ticket, staff, errors={"technician_id": "请选择本小区的维修师傅"},
                                 status_code=400)
        name, status = technician.display_name, ticket.status_label
        try:
            await service.assign(session, ticket=ticket, actor=actor_of(staff), technician=technician)
        except TransitionNotAllowed:
            name = ""
    if not name:  # the transaction was left without a change: assigning raised before writing
        flash(request, NOT_NOW.format(label="派单", status=status), "error")
        return redirect(f"/admin/repairs/{ticket_id}")
    flash(request, f"已派给{name}。")
    return redirect(f"/admin/repairs/{ticket_id}")


@router.post("/repairs/{ticket_id}/comment", include_in_schema=False)
async def repair_comment(request: Request, ticket_id: int, body: str = Form(""), photo: UploadFile | None = File(None),
                         staff: StaffUser = Depends(may_view)) -> Response:
    settings = runtime_of(request).settings
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        errors: dict[str, str] = {}
        try:
            stored = await save_upload(settings.media_dir, photo)
        except PhotoRejected as exc:
            errors["photo"], stored = str(exc), None
        if not body.strip() and stored is None and not errors:
            errors["body"] = "请写点内容，或选一张照片"
        if len(body) > 2000:
            errors["body"] = "内容太长了，请控制在 2000 字以内"
        if errors:
            return await _detail(request, session, ticket, staff, errors=errors, values={"body": body},
                                 status_code=400)
        await service.comment(session, ticket=ticket, actor=actor_of(staff), body=body.strip(),
                              photos=[stored] if stored else [])
    flash(request, "已添加到工单记录。")
    return redirect(f"/admin/repairs/{ticket_id}")


# --- JSON API ---------------------------------------------------------------------------------------------------


class ActionIn(BaseModel):
    action: str = Field(pattern="^(" + "|".join(BUTTONS) + ")$")
    note: str = Field(default="", max_length=500)


class AssignIn(BaseModel):
    technician_id: int


def as_json(ticket: RepairTicket) -> dict:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {"id": ticket.id, "number": ticket.number, "community_id": ticket.community_id,
            "status": ticket.status.value, "status_label": ticket.status_label, "category": ticket.category,
            "priority": ticket.priority.value, "location": ticket.location_text, "description": ticket.description,
            "assignee_id": ticket.assignee_id, "created_at": iso(ticket.created_at),
            "respond_by": iso(ticket.respond_by), "resolve_by": iso(ticket.resolve_by),
            "first_response_at": iso(ticket.first_response_at), "completed_at": iso(ticket.completed_at),
            "sla": sla_state(ticket), "rating": ticket.rating, "photos": len(ticket.photos)}


@router.get("/api/repairs", tags=["repairs"])
async def api_list(request: Request, status: str = "open", category: str = "", building: str = "", sla: str = "",
                   mine: str = "", staff: StaffUser = Depends(may_view)) -> dict:
    """Work orders in your communities; status = open | a status value | "" (all); sla = breached | at_risk | ok."""
    async with transaction(runtime_of(request).sessions) as session:
        tickets = await list_tickets(session, community_ids=_scope(staff),
                                     filters=_filters(status, category, building, sla, mine, "", staff))
        return {"items": [as_json(t) for t in tickets]}


@router.get("/api/repairs/{ticket_id}", tags=["repairs"])
async def api_detail(request: Request, ticket_id: int, staff: StaffUser = Depends(may_view)) -> dict:
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        allowed = allowed_actions(Actor.of_staff(staff), ticket)
        return {**as_json(ticket), "actions": [a for a in BUTTONS if a in allowed]}


@router.post("/api/repairs/{ticket_id}/actions", tags=["repairs"])
async def api_act(request: Request, ticket_id: int, body: ActionIn, staff: StaffUser = Depends(may_view)) -> dict:
    """accept, start, wait_parts, resume, complete, decline, close, cancel, reopen: 409 when not allowed now."""
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        problem = await _perform(session, request, ticket, body.action, staff, body.note)
        if problem is not None:
            raise HTTPException(status_code=409, detail=problem)  # leaves the transaction: nothing kept
        return as_json(ticket)


@router.post("/api/repairs/{ticket_id}/assign", tags=["repairs"])
async def api_assign(request: Request, ticket_id: int, body: AssignIn, staff: StaffUser = Depends(may_assign)) -> dict:
    async with transaction(runtime_of(request).sessions) as session:
        ticket = await get_scoped_or_404(session, RepairTicket, ticket_id, staff)
        technician = await session.get(StaffUser, body.technician_id)
        if technician is None or technician.role != Role.TECHNICIAN or \
                ticket.community_id not in technician.community_ids:
            raise HTTPException(status_code=404, detail="没有这位维修师傅")
        try:
            await service.assign(session, ticket=ticket, actor=actor_of(staff), technician=technician)
        except TransitionNotAllowed as exc:
            raise HTTPException(status_code=409, detail=NOT_NOW.format(label="派单", status=ticket.status_label)) \
                from exc
        return as_json(ticket)


section = Section(name="repairs", router=router,
                  nav=[NavLink("报修工单", "/admin/repairs", section="repairs", order=20)])
