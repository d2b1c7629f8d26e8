"""Devices (设备) for staff: the registry with online/offline, the gateway's connection, and remote opening of gates
and doors (security and managers only; everyone else gets 403). Pages under /admin/devices, JSON under
/admin/api/devices. Opening goes through devices.commands (a row the gateway publishes), never a broker connection
of this process."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import SessionDep, Staff, section_access
from backoffice.devices import messages as t
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import actor_of, get_scoped_or_404, runtime_of, visible_communities
from devices.commands import CommandOutcome, send_command, waited_too_long
from workflows.access import Actor, allowed_actions
from workflows.devices import service as devices
from workflows.devices.models import Device, DeviceKind
from workflows.devices.states import STATUS_LABELS
from workflows.staff.models import StaffUser

router = APIRouter()
Viewer = Staff("devices")  # who may: workflows.access SECTIONS
may_open = section_access("devices", "open")  # 开闸 remotely


async def gateway_banner(request: Request, session: AsyncSession) -> tuple[str, str]:
    """("off"|"down"|"ok", the sentence staff see about the device connection)."""
    if not runtime_of(request).settings.mqtt_url:
        return "off", t.DEVICES_OFF
    row = await devices.gateway_status(session)
    if not devices.gateway_reachable(row):
        return "down", t.GATEWAY_DOWN.format(error=(row.last_error if row else "") or "尚未连接")
    return "ok", ""


@router.get("/devices", include_in_schema=False)
async def device_list(request: Request, session: SessionDep, staff: Viewer) -> Response:
    communities = await visible_communities(session, staff)
    rows = await devices.devices_of(session, community_ids={c.id for c in communities})
    state, banner = await gateway_banner(request, session)
    names = {c.id: c.name for c in communities}
    return render(request, "devices/list.html", {
        "rows": rows, "communities": names, "gateway_state": state, "banner": banner,
        "online": sum(1 for d in rows if d.online),
        "can_open": "open" in allowed_actions(Actor.of_staff(staff), "devices")})


def _why(outcome: CommandOutcome) -> str:
    if outcome.broker_down:
        return t.WHY["broker"]
    if waited_too_long(outcome):
        return t.WHY["timeout"]
    return t.WHY["refused"].format(error=outcome.error or "未说明")


async def open_gate(request: Request, device_id: int, staff: StaffUser) -> tuple[Device, CommandOutcome]:
    """The device is looked up in a short session of its own: the command then waits for the device's
    acknowledgement, which must not hold a request's transaction open."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session:
        device = await get_scoped_or_404(session, Device, device_id, staff)
    if device.kind != DeviceKind.GATE:
        raise HTTPException(status_code=400, detail=t.NOT_A_GATE)
    gateway = getattr(request.app.state, "device_gateway", None)
    outcome = await send_command(runtime, device_id=device.id, action="open", requested_by=actor_of(staff),
                                 reason="后台远程开门", wake=gateway.wake if gateway else None)
    return device, outcome


@router.post("/devices/{device_id}/open", include_in_schema=False)
async def open_from_page(request: Request, device_id: int, staff: StaffUser = Depends(may_open)) -> Response:
    device, outcome = await open_gate(request, device_id, staff)
    if outcome.ok:
        flash(request, t.OPENED.format(name=device.name))
    else:
        flash(request, t.OPEN_FAILED.format(name=device.name, why=_why(outcome)), "error")
    return redirect("/admin/devices")


def as_json(device: Device) -> dict:
    return {"id": device.id, "community_id": device.community_id, "code": device.code, "kind": device.kind.value,
            "subtype": device.subtype, "name": device.name, "location": device.location,
            "direction": device.direction.value if device.direction else None, "online": device.online,
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
            "snapshot_url": device.snapshot_url or None, "stream_url": device.stream_url or None}


@router.get("/api/devices", tags=["devices"])
async def api_list(request: Request, session: SessionDep, staff: Viewer) -> dict:
    """Devices of your communities, with their online state and the gateway's."""
    communities = await visible_communities(session, staff)
    rows = await devices.devices_of(session, community_ids={c.id for c in communities})
    state, _ = await gateway_banner(request, session)
    return {"gateway": state, "items": [as_json(d) for d in rows]}


@router.post("/api/devices/{device_id}/open", tags=["devices"])
async def api_open(request: Request, device_id: int, staff: StaffUser = Depends(may_open)) -> dict:
    """Open a gate or door remotely; answers when the device acknowledged, refused, or did not answer in time."""
    device, outcome = await open_gate(request, device_id, staff)
    return {"device": device.code, "command_id": outcome.command_id, "status": outcome.status.value,
            "status_label": STATUS_LABELS[outcome.status], "ok": outcome.ok,
            "error": "" if outcome.ok else _why(outcome)}


section = Section(name="devices", router=router, nav=[NavLink("设备", "/admin/devices", section="devices", order=60)])
