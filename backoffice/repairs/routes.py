"""Work orders (报修工单) for staff: list with filters (status, category, building, SLA), detail with timeline and
photos, assign/reassign, transition buttons from the state table, comments with photos, the monthly duplicate
report. Pages under /admin/repairs, the same actions as JSON under /admin/api/repairs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import CurrentActor, RepairDep, SessionDep, Staff, discard
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.repairs.photos import PhotoRejected, photo_response, save_upload
from backoffice.security import runtime_of, visible_communities
from workflows.access import Actor, ActorKind, allowed_actions
from workflows.audit.models import AuditEvent
from workflows.clock import local, utcnow
from workflows.community.service import list_buildings
from workflows.repairs import service
from workflows.repairs.dispatch import category_specs, open_load, technicians
from workflows.repairs.duplicates import monthly_duplicate_report
from workflows.repairs.models import STATUS_LABELS, RepairStatus, RepairTicket
from workflows.repairs.queries import RepairFilter, list_tickets, sla_state, timeline
from workflows.repairs.states import ACTION_LABELS
from workflows.staff.models import Role, StaffUser
from workflows.statemachine import TransitionNotAllowed

router = APIRouter()
Viewer = Staff("repairs")
Assigner = Staff("repairs", "assign")
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
async def repair_list(request: Request, session: SessionDep, staff: Viewer, status: str = "open",
                      category: str = "", building: str = "", sla: str = "", mine: str = "", q: str = "",
                      format: str = "") -> Response:
    filters = _filters(status, category, building, sla, mine, q, staff)
    now = utcnow()
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
async def repair_detail(request: Request, session: SessionDep, staff: Viewer, ticket: RepairDep) -> Response:
    return await _detail(request, session, ticket, staff)


@router.get("/repairs/{ticket_id}/photos/{index}", include_in_schema=False)
async def repair_photo(request: Request, index: int, ticket: RepairDep) -> Response:
    return photo_response(runtime_of(request).settings.media_dir, list(ticket.photos), index)


async def _perform(session: AsyncSession, request: Request, ticket: RepairTicket, action: str, actor: Actor,
                   note: str) -> str | None:
    """Apply one action on the request's session: None, or the message for the staff member (the request's
    changes are then dropped)."""
    label, status = ACTION_LABELS.get(action, action), ticket.status_label
    if action not in BUTTONS:
        raise HTTPException(status_code=404)
    try:
        await service.perform(session, ticket=ticket, action=action, actor=actor, note=note[:500],
                              policy=service.RepairPolicy.from_settings(runtime_of(request).settings))
        return None
    except service.TicketTaken:
        problem = TAKEN
    except service.NotYourTicket:
        problem = NOT_YOURS.format(label=label)
    except TransitionNotAllowed:
        problem = NOT_NOW.format(label=label, status=status)
    await discard(session)
    return problem


@router.post("/repairs/{ticket_id}/act/{action}", include_in_schema=False)
async def repair_act(request: Request, action: str, session: SessionDep, actor: CurrentActor, ticket: RepairDep,
                     note: str = Form("")) -> Response:
    url = f"/admin/repairs/{ticket.id}"  # read now: a refusal rolls back and expires the row
    problem = await _perform(session, request, ticket, action, actor, note)
    flash(request, problem or f"已{ACTION_LABELS[action]}。", "error" if problem else "ok")
    return redirect(url)


@router.post("/repairs/{ticket_id}/assign", include_in_schema=False)
async def repair_assign(request: Request, session: SessionDep, actor: CurrentActor, staff: Assigner,
                        ticket: RepairDep, technician_id: str = Form("")) -> Response:
    technician = await session.get(StaffUser, int(technician_id)) if technician_id.isdigit() else None
    if technician is None or technician.role != Role.TECHNICIAN or \
            ticket.community_id not in technician.community_ids:
        return await _detail(request, session, ticket, staff, errors={"technician_id": "请选择本小区的维修师傅"},
                             status_code=400)
    url, name, status = f"/admin/repairs/{ticket.id}", technician.display_name, ticket.status_label
    try:
        await service.assign(session, ticket=ticket, actor=actor, technician=technician)
    except TransitionNotAllowed:
        await discard(session)
        flash(request, NOT_NOW.format(label="派单", status=status), "error")
        return redirect(url)
    flash(request, f"已派给{name}。")
    return redirect(url)


@router.post("/repairs/{ticket_id}/comment", include_in_schema=False)
async def repair_comment(request: Request, session: SessionDep, actor: CurrentActor, staff: Viewer,
                         ticket: RepairDep, body: str = Form(""), photo: UploadFile | None = File(None)) -> Response:
    settings = runtime_of(request).settings
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
    await service.comment(session, ticket=ticket, actor=actor, body=body.strip(), photos=[stored] if stored else [])
    flash(request, "已添加到工单记录。")
    return redirect(f"/admin/repairs/{ticket.id}")


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
async def api_list(session: SessionDep, staff: Viewer, status: str = "open", category: str = "",
                   building: str = "", sla: str = "", mine: str = "") -> dict:
    """Work orders in your communities; status = open | a status value | "" (all); sla = breached | at_risk | ok."""
    tickets = await list_tickets(session, community_ids=_scope(staff),
                                 filters=_filters(status, category, building, sla, mine, "", staff))
    return {"items": [as_json(t) for t in tickets]}


@router.get("/api/repairs/{ticket_id}", tags=["repairs"])
async def api_detail(actor: CurrentActor, ticket: RepairDep) -> dict:
    allowed = allowed_actions(actor, ticket)
    return {**as_json(ticket), "actions": [a for a in BUTTONS if a in allowed]}


@router.post("/api/repairs/{ticket_id}/actions", tags=["repairs"])
async def api_act(request: Request, body: ActionIn, session: SessionDep, actor: CurrentActor,
                  ticket: RepairDep) -> dict:
    """accept, start, wait_parts, resume, complete, decline, close, cancel, reopen: 409 when not allowed now."""
    problem = await _perform(session, request, ticket, body.action, actor, body.note)
    if problem is not None:
        raise HTTPException(status_code=409, detail=problem)
    return as_json(ticket)


@router.post("/api/repairs/{ticket_id}/assign", tags=["repairs"])
async def api_assign(body: AssignIn, session: SessionDep, actor: CurrentActor, staff: Assigner,
                     ticket: RepairDep) -> dict:
    technician = await session.get(StaffUser, body.technician_id)
    if technician is None or technician.role != Role.TECHNICIAN or \
            ticket.community_id not in technician.community_ids:
        raise HTTPException(status_code=404, detail="没有这位维修师傅")
    status = ticket.status_label
    try:
        await service.assign(session, ticket=ticket, actor=actor, technician=technician)
    except TransitionNotAllowed as exc:
        raise HTTPException(status_code=409, detail=NOT_NOW.format(label="派单", status=status)) from exc
    return as_json(ticket)


section = Section(name="repairs", router=router,
                  nav=[NavLink("报修工单", "/admin/repairs", section="repairs", order=20)])
