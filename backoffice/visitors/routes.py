"""访客 for staff (a guard's phone is the main screen): today's expected visitors, arrivals and refusals, walk-in
registration (门岗登记 → the owner is asked in WeChat, or admitted at once where the community needs no approval),
and the community's visitor rules (managers). Pages under /admin/visitors, JSON under /admin/api/visitors."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import SessionDep, Staff, discard, section_access
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import require_community, runtime_of, visible_communities
from devices.walk_ins import register_at_gate
from workflows.clock import utcnow
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.devices.models import Device, DeviceKind
from workflows.staff.models import StaffUser
from workflows.visitors import walkins
from workflows.visitors.models import EntryResult, PassStatus, VisitorEntry, VisitorPass, WalkIn, WalkInStatus
from workflows.visitors.policy import set_visitor_policy, visitor_policy
from workflows.visitors.service import REFUSALS

router = APIRouter()
may_see = section_access("visitors")  # who may: workflows.access SECTIONS
Gatehouse = Staff("visitors")
RuleSetter = Staff("visitors", "rules")
REGISTERED = "已登记访客 {name}（{number}），{next}"
ASKED = "正在等待业主答复。"
NO_HOUSEHOLD = "没有找到这个房号，请检查楼栋和房号。"


def _today(tz) -> tuple[datetime, datetime]:  # noqa: ANN001 - a ZoneInfo
    start = datetime.combine(utcnow().astimezone(tz).date(), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


async def _page_data(request: Request, session: AsyncSession, staff: StaffUser) -> dict:
    start, end = _today(runtime_of(request).settings.tz)
    communities = await visible_communities(session, staff)
    ids = [c.id for c in communities]
    expected = list(await session.scalars(select(VisitorPass).where(
        VisitorPass.community_id.in_(ids), VisitorPass.status != PassStatus.REVOKED,
        and_(VisitorPass.valid_from < end, VisitorPass.valid_until > start)).order_by(VisitorPass.valid_from)))
    entries = list(await session.scalars(select(VisitorEntry).where(
        VisitorEntry.community_id.in_(ids), VisitorEntry.created_at >= start).order_by(VisitorEntry.id.desc())
        .limit(200)))
    walk_ins = list(await session.scalars(select(WalkIn).where(
        WalkIn.community_id.in_(ids), WalkIn.created_at >= start).order_by(WalkIn.id.desc()).limit(100)))
    buildings = [(b.id, f"{c.name} {b.name}") for c in communities
                 for b in await session.scalars(select(Building).where(Building.community_id == c.id)
                                                .order_by(Building.sort_key, Building.name))]
    gates = list(await session.scalars(select(Device).where(Device.community_id.in_(ids),
                                                            Device.kind == DeviceKind.GATE)))
    policies = {c.id: await visitor_policy(session, community_id=c.id) for c in communities}
    passes = {p.id: p for p in expected}
    return {"expected": expected, "arrivals": [e for e in entries if e.result == EntryResult.ADMITTED],
            "refusals": [e for e in entries if e.result == EntryResult.REFUSED], "walk_ins": walk_ins,
            "buildings": buildings, "gates": gates, "communities": communities, "policies": policies,
            "passes": passes, "reasons": REFUSALS, "pending": WalkInStatus.PENDING}


@router.get("/visitors", include_in_schema=False)
async def visitor_page(request: Request, session: SessionDep, staff: Gatehouse) -> Response:
    return render(request, "visitors/index.html", await _page_data(request, session, staff))


@router.post("/visitors/walk-in", include_in_schema=False)
async def register_walk_in(request: Request, building_id: int = Form(...), room: str = Form(...),
                           visitor_name: str = Form(...), plate: str = Form(""), people: int = Form(1),
                           gate_id: str = Form(""), staff: StaffUser = Depends(may_see)) -> Response:
    """Looked up in a short transaction of its own: registering waits for the owner's answer and the gate, which
    must not hold a request's transaction open."""
    runtime = runtime_of(request)
    async with transaction(runtime.sessions) as session:
        building = await session.get(Building, building_id)
        if building is None:
            raise HTTPException(status_code=404)
        community_id = require_community(staff, building.community_id)
        household = await session.scalar(select(Household).where(Household.building_id == building.id,
                                                                  Household.room == room.strip()))
        if household is None or not visitor_name.strip():
            flash(request, NO_HOUSEHOLD if household is None else "请填写访客称呼。", "error")
            return redirect("/admin/visitors")
        household_id, gate_device_id = household.id, None
        if gate_id.isdigit():
            gate = await session.get(Device, int(gate_id))
            if gate is None or gate.community_id != community_id:
                raise HTTPException(status_code=404)
            gate_device_id = gate.id
    gateway = getattr(request.app.state, "device_gateway", None)
    done = await register_at_gate(runtime, guard_id=staff.id, community_id=community_id, household_id=household_id,
                                  visitor_name=visitor_name.strip(), plate=plate.strip().upper(),
                                  people=max(1, min(people, 50)), gate_device_id=gate_device_id,
                                  wake=gateway.wake if gateway else None)
    if done.status == WalkInStatus.APPROVED:
        flash(request, REGISTERED.format(name=visitor_name, number=done.number,
                                         next=walkins.gate_sentence(done.gate_result)))
    elif done.status == WalkInStatus.TIMED_OUT:
        flash(request, REGISTERED.format(name=visitor_name, number=done.number,
                                         next="该户没有绑定微信，请电话联系业主。"), "warn")
    else:
        flash(request, REGISTERED.format(name=visitor_name, number=done.number, next=ASKED))
    return redirect("/admin/visitors")


@router.post("/visitors/rules", include_in_schema=False)
async def save_rules(request: Request, community_id: int = Form(...), approval_required: str = Form(""),
                     approval_timeout_minutes: int = Form(3), free_parking_minutes: int = Form(120), *,
                     session: SessionDep, staff: RuleSetter) -> Response:
    require_community(staff, community_id)
    try:
        await set_visitor_policy(session, community_id=community_id, approval_required=bool(approval_required),
                                 approval_timeout_minutes=approval_timeout_minutes,
                                 free_parking_minutes=free_parking_minutes)
    except ValueError:
        await discard(session)
        flash(request, "等待时间 1–60 分钟，免费停车 0–1440 分钟。", "error")
        return redirect("/admin/visitors")
    flash(request, "访客规则已保存。")
    return redirect("/admin/visitors")


@router.get("/api/visitors/today", tags=["visitors"])
async def api_today(request: Request, session: SessionDep, staff: Gatehouse) -> dict:
    """Today's expected visitors, arrivals, refusals and walk-ins in your communities."""
    data = await _page_data(request, session, staff)
    return {"expected": [{"number": p.number, "name": p.visitor_name, "plate": p.plate, "people": p.people,
                          "from": p.valid_from.isoformat(), "until": p.valid_until.isoformat(),
                          "status": p.status.value} for p in data["expected"]],
            "arrivals": len(data["arrivals"]),
            "refusals": [{"reason": e.reason, "at": e.created_at.isoformat()} for e in data["refusals"]],
            "walk_ins": [{"number": w.number, "name": w.visitor_name, "status": w.status.value,
                          "gate": w.gate_result} for w in data["walk_ins"]]}


section = Section(name="visitors", router=router,
                  nav=[NavLink("访客", "/admin/visitors", section="visitors", order=55)])
