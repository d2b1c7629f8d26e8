"""报警 for staff: open incidents (unacknowledged first) with their work order, and 确认 / 已处理 for security and
managers (everyone else 403). Pages under /admin/alarms, JSON under /admin/api/alarms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import CurrentActor, SessionDep, Staff, discard, scoped_row
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import visible_communities
from workflows.access import Actor, allowed_actions
from workflows.alarms import service as alarms
from workflows.alarms.models import AlarmIncident
from workflows.devices.models import Device
from workflows.repairs.models import RepairTicket
from workflows.staff.models import StaffUser
from workflows.statemachine import TransitionNotAllowed

router = APIRouter()
Viewer = Staff("alarms")  # who may: workflows.access SECTIONS
Responder = Staff("alarms", "respond")
IncidentDep = Annotated[AlarmIncident, Depends(scoped_row(AlarmIncident, "incident_id", "alarms"))]
DONE = {"acknowledge": "已确认报警 {number}，升级提醒已停止。", "resolve": "报警 {number} 已处理。"}
NOT_NOW = "报警 {number} 现在不能这样操作（{status}）。"


async def _rows(session: AsyncSession, staff: StaffUser, active_only: bool = True) -> list[dict]:
    communities = await visible_communities(session, staff)
    incidents = await alarms.incidents_of(session, community_ids={c.id for c in communities},
                                          active_only=active_only)
    devices = {d.id: d for d in await session.scalars(select(Device).where(
        Device.id.in_({i.device_id for i in incidents})))}  # one query each, not one per incident
    tickets = {t.id: t for t in await session.scalars(select(RepairTicket).where(
        RepairTicket.id.in_({i.repair_ticket_id for i in incidents if i.repair_ticket_id})))}
    return [{"incident": i, "device": devices[i.device_id], "ticket": tickets.get(i.repair_ticket_id or 0)}
            for i in sorted(incidents, key=lambda i: (i.status.value != "open", -i.id))]


@router.get("/alarms", include_in_schema=False)
async def alarm_list(request: Request, session: SessionDep, staff: Viewer, all: str = "") -> Response:
    rows = await _rows(session, staff, active_only=not all)
    can_respond = "respond" in allowed_actions(Actor.of_staff(staff), "alarms")
    return render(request, "alarms/list.html", {"rows": rows, "show_all": bool(all), "can_respond": can_respond})


async def _act(session: AsyncSession, incident: AlarmIncident, actor: Actor, action: str) -> tuple[str, str]:
    """(what was done, "") or ("", why not); a refusal drops the request's changes."""
    number, status = incident.number, incident.status_label
    try:
        if action == "acknowledge":
            await alarms.acknowledge(session, incident=incident, actor=actor)
        else:
            await alarms.resolve(session, incident=incident, actor=actor)
    except TransitionNotAllowed:
        await discard(session)
        return "", NOT_NOW.format(number=number, status=status)
    return DONE[action].format(number=number), ""


@router.post("/alarms/{incident_id}/{action}", include_in_schema=False)
async def act_from_page(request: Request, action: str, session: SessionDep, actor: CurrentActor, staff: Responder,
                        incident: IncidentDep) -> Response:
    if action not in DONE:
        raise HTTPException(status_code=404)
    done, problem = await _act(session, incident, actor, action)
    flash(request, done or problem, "ok" if done else "error")
    return redirect("/admin/alarms")


@router.get("/api/alarms", tags=["alarms"])
async def api_list(session: SessionDep, staff: Viewer) -> dict:
    """Active alarm incidents of your communities."""
    return {"items": [{"id": r["incident"].id, "number": r["incident"].number, "status": r["incident"].status.value,
                       "alarm": r["incident"].alarm, "device": r["device"].code, "count": r["incident"].event_count,
                       "ticket": r["ticket"].number if r["ticket"] else None,
                       "first_at": r["incident"].first_at.isoformat()} for r in await _rows(session, staff)]}


@router.post("/api/alarms/{incident_id}/{action}", tags=["alarms"])
async def api_act(action: str, session: SessionDep, actor: CurrentActor, staff: Responder,
                  incident: IncidentDep) -> dict:
    if action not in DONE:
        raise HTTPException(status_code=404)
    done, problem = await _act(session, incident, actor, action)
    if problem:
        raise HTTPException(status_code=409, detail=problem)
    return {"ok": True, "message": done}


section = Section(name="alarms", router=router, nav=[NavLink("报警", "/admin/alarms", section="alarms", order=58)])
