"""Complaints (投诉) for staff: list with filters (status, category, building, SLA), detail with timeline and photos,
assign, start/reply/escalate/close, internal notes. A complaint about a staff member is invisible to that member;
an anonymous complaint hides the owner from everyone but admins. Pages under /admin/complaints, JSON under
/admin/api/complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice import messages as m
from backoffice.api_errors import field_error
from backoffice.deps import ComplaintDep, CurrentActor, CurrentStaff, SessionDep, Staff, discard
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.repairs.photos import photo_response
from backoffice.security import runtime_of, scoped, visible_communities
from workflows.access import Actor, allowed_actions, roles
from workflows.audit.models import AuditEvent
from workflows.clock import utcnow
from workflows.community.models import Household, Resident
from workflows.community.service import get_household, list_buildings
from workflows.complaints import service
from workflows.complaints.models import (
    COMPLAINT_CATEGORIES,
    OPEN_COMPLAINT_STATUSES,
    STATUS_LABELS,
    Complaint,
    ComplaintNote,
    ComplaintStatus,
)
from workflows.complaints.states import ACTION_LABELS
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.statemachine import TransitionNotAllowed

router = APIRouter()
Handler = Staff("complaints")
BUTTONS = ("start", "escalate", "close")
SLA_LABELS = {"breached": "已超时", "ok": "正常", "done": "已结束"}
NOT_NOW = "这条投诉现在不能「{label}」（状态：{status}）。"


def sla_state(complaint: Complaint) -> str:
    if complaint.respond_breached_at or (complaint.first_response_at is None and complaint.respond_by
                                         and complaint.respond_by <= utcnow()):
        return "breached"
    return "ok" if complaint.status in OPEN_COMPLAINT_STATUSES else "done"


async def visible_complaint(complaint: ComplaintDep, staff: CurrentStaff) -> Complaint:
    """The complaint named by the path (scoped by ComplaintDep), never to the person it is about: 404 as if absent."""
    if complaint.about_staff_id == staff.id:
        raise HTTPException(status_code=404, detail=m.NOT_FOUND)
    return complaint


SeenComplaint = Annotated[Complaint, Depends(visible_complaint)]


@router.get("/complaints", include_in_schema=False)
async def complaint_list(request: Request, session: SessionDep, staff: Handler, status: str = "open",
                         category: str = "", building: str = "", sla: str = "") -> Response:
    query = scoped(select(Complaint), Complaint, staff).where(
        or_(Complaint.about_staff_id.is_(None), Complaint.about_staff_id != staff.id)).order_by(Complaint.id.desc())
    if status == "open":
        query = query.where(Complaint.status.in_(OPEN_COMPLAINT_STATUSES))
    elif status in set(ComplaintStatus):
        query = query.where(Complaint.status == ComplaintStatus(status))
    if category in COMPLAINT_CATEGORIES:
        query = query.where(Complaint.category == category)
    if building.isdigit():
        query = query.where(Complaint.building_id == int(building))
    rows = [c for c in await session.scalars(query.limit(200)) if not sla or sla_state(c) == sla]
    communities = await visible_communities(session, staff)
    buildings = [(b.id, b.name) for c in communities for b in await list_buildings(session, community_id=c.id)]
    return render(request, "complaints/list.html", {
        "rows": rows, "status": status, "category": category, "building": building, "sla": sla,
        "statuses": STATUS_LABELS, "categories": COMPLAINT_CATEGORIES, "buildings": buildings,
        "sla_labels": SLA_LABELS, "sla_state": sla_state})


async def _owner(session: AsyncSession, complaint: Complaint, staff: StaffUser) -> str:
    if complaint.anonymous and staff.role != Role.ADMIN:
        return "匿名（业主要求对处理人员匿名）"
    if complaint.household_id is None:
        return "未绑定房屋的业主"
    household = await get_household(session, household_id=complaint.household_id)
    resident = await session.get(Resident, complaint.resident_id) if complaint.resident_id else None
    label = household.label if isinstance(household, Household) else ""
    return f"{label} {resident.name}（{resident.phone}）" if resident else label


async def _handlers(session: AsyncSession, complaint: Complaint) -> list[tuple[int, str]]:
    people = await session.scalars(select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
                                   .where(StaffCommunity.community_id == complaint.community_id,
                                          StaffUser.role.in_(roles.DESK), StaffUser.active.is_(True)))
    return [(p.id, p.display_name) for p in people if p.id != complaint.about_staff_id]


async def _detail(request: Request, session: AsyncSession, complaint: Complaint, staff: StaffUser, *,
                  errors: dict | None = None, values: dict | None = None, status_code: int = 200) -> Response:
    events = list(await session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "complaint", AuditEvent.entity_id == str(complaint.id))))
    notes = list(await session.scalars(select(ComplaintNote).where(ComplaintNote.complaint_id == complaint.id)))
    timeline = sorted([(e.created_at, "event", e) for e in events] + [(n.created_at, "note", n) for n in notes],
                      key=lambda item: item[0])
    assignee = await session.get(StaffUser, complaint.assignee_id) if complaint.assignee_id else None
    allowed = allowed_actions(Actor.of_staff(staff), complaint)
    actions = [a for a in BUTTONS if a in allowed]
    return render(request, "complaints/detail.html", {
        "c": complaint, "owner": await _owner(session, complaint, staff), "assignee": assignee,
        "timeline": timeline, "statuses": STATUS_LABELS, "labels": ACTION_LABELS,
        "actions": [(a, ACTION_LABELS[a]) for a in actions], "sla": sla_state(complaint), "sla_labels": SLA_LABELS,
        "can_reply": "reply" in allowed,
        "handlers": await _handlers(session, complaint), "errors": errors or {}, "values": values or {}},
        status_code=status_code)


@router.get("/complaints/{complaint_id}", include_in_schema=False)
async def complaint_detail(request: Request, session: SessionDep, staff: Handler,
                           complaint: SeenComplaint) -> Response:
    return await _detail(request, session, complaint, staff)


@router.get("/complaints/{complaint_id}/photos/{index}", include_in_schema=False)
async def complaint_photo(request: Request, index: int, complaint: SeenComplaint) -> Response:
    return photo_response(runtime_of(request).settings.media_dir, list(complaint.photos), index)


async def _run(session: AsyncSession, complaint: Complaint, actor: Actor, action: str, text: str) -> str | None:
    """One action on the request's session: None, or why it was refused (the request's changes are dropped)."""
    label, status = ACTION_LABELS.get(action, "备注"), complaint.status_label
    try:
        if action == "comment":
            await service.comment(session, complaint=complaint, actor=actor, body=text)
        elif action == "assign":
            target = await session.get(StaffUser, int(text)) if text.isdigit() else None
            if target is None:
                return "请选择处理人"
            await service.assign(session, complaint=complaint, actor=actor, staff=target)
        else:
            await service.perform(session, complaint=complaint, action=action, actor=actor, note=text)
        return None
    except service.NotAllowedForStaff:
        problem = "不能交给被投诉的工作人员，或不是本小区的员工。" if action == "assign" else "您不能处理这条投诉。"
    except TransitionNotAllowed:
        problem = NOT_NOW.format(label=label, status=status)
    await discard(session)
    return problem


@router.post("/complaints/{complaint_id}/reply", include_in_schema=False)
async def complaint_reply(request: Request, session: SessionDep, staff: Handler, actor: CurrentActor,
                          complaint: SeenComplaint, body: str = Form("")) -> Response:
    if not body.strip() or len(body) > 1000:
        message = "请写下回复内容" if not body.strip() else "回复太长了，请控制在 1000 字以内"
        return await _detail(request, session, complaint, staff, errors={"body": message},
                             values={"body": body}, status_code=400)
    url = f"/admin/complaints/{complaint.id}"  # read now: a refusal rolls back and expires the row
    problem = await _run(session, complaint, actor, "reply", body.strip())
    flash(request, problem or "回复已发出，业主会在微信里收到，并可回复满意或不满意。", "error" if problem else "ok")
    return redirect(url)


@router.post("/complaints/{complaint_id}/{action}", include_in_schema=False)
async def complaint_act(request: Request, action: str, session: SessionDep, actor: CurrentActor,
                        complaint: SeenComplaint, note: str = Form(""), staff_id: str = Form("")) -> Response:
    if action not in (*BUTTONS, "assign", "comment"):
        raise HTTPException(status_code=404)
    url = f"/admin/complaints/{complaint.id}"  # read now: a refusal rolls back and expires the row
    if action == "comment" and not note.strip():
        flash(request, "请写点内容", "error")
        return redirect(url)
    problem = await _run(session, complaint, actor, action, staff_id if action == "assign" else note.strip()[:1000])
    done = {"assign": "已转交。", "comment": "已添加备注。"}.get(action, f"已{ACTION_LABELS.get(action, '')}。")
    flash(request, problem or done, "error" if problem else "ok")
    return redirect(url)


class ComplaintAction(BaseModel):
    action: str = Field(pattern="^(start|reply|escalate|close|comment)$")
    note: str = Field(default="", max_length=1000)


def as_json(complaint: Complaint, staff: StaffUser) -> dict:
    hidden = complaint.anonymous and staff.role != Role.ADMIN
    return {"id": complaint.id, "number": complaint.number, "status": complaint.status.value,
            "category": complaint.category, "description": complaint.description, "anonymous": complaint.anonymous,
            "household_id": None if hidden else complaint.household_id, "assignee_id": complaint.assignee_id,
            "created_at": complaint.created_at.isoformat(), "sla": sla_state(complaint)}


@router.get("/api/complaints", tags=["complaints"])
async def api_list(session: SessionDep, staff: Handler) -> dict:
    """Open complaints in your communities (never ones about you)."""
    rows = await session.scalars(scoped(select(Complaint), Complaint, staff).where(
        Complaint.status.in_(OPEN_COMPLAINT_STATUSES),
        or_(Complaint.about_staff_id.is_(None), Complaint.about_staff_id != staff.id)).order_by(Complaint.id))
    return {"items": [as_json(c, staff) for c in rows]}


@router.post("/api/complaints/{complaint_id}/actions", tags=["complaints"])
async def api_act(body: ComplaintAction, session: SessionDep, staff: Handler, actor: CurrentActor,
                  complaint: SeenComplaint) -> dict:
    if body.action in ("reply", "comment") and not body.note.strip():
        raise field_error("note", "请填写内容")
    problem = await _run(session, complaint, actor, body.action, body.note.strip())
    if problem:
        raise HTTPException(status_code=409, detail=problem)
    return as_json(complaint, staff)


section = Section(name="complaints", router=router,
                  nav=[NavLink("投诉", "/admin/complaints", section="complaints", order=22)])
