"""报警 for staff: open incidents (unacknowledged first) with their work order, and 确认 / 已处理 for security and
managers (everyone else 403). Pages under /admin/alarms, JSON under /admin/api/alarms."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from backoffice.deps import section_access
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import actor_of, get_scoped_or_404, runtime_of, visible_communities
from workflows.access import Actor, allowed_actions
from workflows.alarms import service as alarms
from workflows.alarms.models import AlarmIncident
from workflows.db import transaction
from workflows.devices.models import Device
from workflows.repairs.models import RepairTicket
from workflows.staff.models import StaffUser
from workflows.statemachine import TransitionNotAllowed

router = APIRouter()
may_view = section_access("alarms")  # who may: workflows.access SECTIONS
may_respond = section_access("alarms", "respond")
DONE = {"acknowledge": "已确认报警 {number}，升级提醒已停止。", "resolve": "报警 {number} 已处理。"}
NOT_NOW = "报警 {number} 现在不能这样操作（{status}）。"


async def _rows(request: Request, staff: StaffUser, active_only: bool = True) -> list[dict]:
    async with runtime_of(request).sessions() as session:
        communities = await visible_communities(session, staff)
        incidents = await alarms.incidents_of(session, community_ids={c.id for c in communities},
                                              active_only=active_only)
        rows = []
        for incident in sorted(incidents, key=lambda i: (i.status.value != "open", -i.id)):
            device = await session.get(Device, incident.device_id)
            ticket = await session.get(RepairTicket, incident.repair_ticket_id) if incident.repair_ticket_id else None
            rows.append({"incident": incident, "device": device, "ticket": ticket})
        return rows


@router.get("/alarms", include_in_schema=False)
async def alarm_list(request: Request, all: str = "", staff: StaffUser = Depends(may_view)) -> Response:
    rows = await _rows(request, staff, active_only=not all)
    can_respond = "respond" in allowed_actions(Actor.of_staff(staff), "alarms")
    return render(request, "alarms/list.html", {"rows": rows, "show_all": bool(all), "can_respond": can_respond})


async def _act(request: Request, incident_id: int, staff: StaffUser, action: str) -> tuple[str, str]:
    async with transaction(runtime_of(request).sessions) as session:
        incident = await get_scoped_or_404(session, AlarmIncident, incident_id, staff)
        try:
            if action == "acknowledge":
                await alarms.acknowledge(session, incident=incident, actor=actor_of(staff))
            else:
                await alarms.resolve(session, incident=incident, actor=actor_of(staff))
        except TransitionNotAllowed:
            return "", NOT_NOW.format(number=incident.number, status=incident.status_label)
        return DONE[action].format(number=incident.number), ""


@router.post("/alarms/{incident_id}/{action}", include_in_schema=False)
async def act_from_page(request: Request, incident_id: int, action: str,
                        staff: StaffUser = Depends(may_respond)) -> Response:
    if action not in DONE:
        raise HTTPException(status_code=404)
    done, problem = await _act(request, incident_id, staff, action)
    flash(request, done or problem, "ok" if done else "error")
    return redirect("/admin/alarms")


@router.get("/api/alarms", tags=["alarms"])
async def api_list(request: Request, staff: StaffUser = Depends(may_view)) -> dict:
    """Active alarm incidents of your communities."""
    return {"items": [{"id": r["incident"].id, "number": r["incident"].number, "status": r["incident"].status.value,
                       "alarm": r["incident"].alarm, "device": r["device"].code, "count": r["incident"].event_count,
                       "ticket": r["ticket"].number if r["ticket"] else None,
                       "first_at": r["incident"].first_at.isoformat()} for r in await _rows(request, staff)]}


@router.post("/api/alarms/{incident_id}/{action}", tags=["alarms"])
async def api_act(request: Request, incident_id: int, action: str, staff: StaffUser = Depends(may_respond)) -> dict:
    if action not in DONE:
        raise HTTPException(status_code=404)
    done, problem = await _act(request, incident_id, staff, action)
    if problem:
        raise HTTPException(status_code=409, detail=problem)
    return {"ok": True, "message": done}


section = Section(name="alarms", router=router, nav=[NavLink("报警", "/admin/alarms", section="alarms", order=58)])
