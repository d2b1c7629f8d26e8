"""值班 (the duty roster): which security guards are on duty when, per community. Managers add and remove shifts;
security and the front desk see the roster and who is on duty now. Alarm notices and walk-in notices go to the
guards on duty (everyone of the community's security when nobody is rostered for the moment: the page says so).
Pages under /admin/duty, JSON under /admin/api/duty."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import CurrentActor, SessionDep, Staff, discard, scoped_row
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import actor_of, require_community, visible_communities
from workflows.access import allowed_actions
from workflows.duty import service as duty
from workflows.duty.models import DutyShift
from workflows.staff.models import StaffUser

router = APIRouter()
Viewer = Staff("duty")
Editor = Staff("duty", "edit")
ShiftDep = Annotated[DutyShift, Depends(scoped_row(DutyShift, "shift_id", "duty"))]
ADDED = "已排班：{name} {days} {hours}。"
REMOVED = "已删除这个班次。"


async def _page_data(session: AsyncSession, staff: StaffUser) -> dict:
    communities = await visible_communities(session, staff)
    shifts = await duty.shifts_of(session, community_ids={c.id for c in communities})
    guards = {c.id: await duty.security_of(session, community_id=c.id) for c in communities}
    now = {c.id: await duty.on_duty_security(session, community_id=c.id) for c in communities}
    names = {g.id: g.display_name for people in guards.values() for g in people}
    options = {cid: [("", "请选择"), *((g.id, g.display_name) for g in people)] for cid, people in guards.items()}
    return {"communities": communities, "shifts": shifts, "guard_options": options, "on_duty": now, "names": names,
            "can_edit": "edit" in allowed_actions(actor_of(staff), "duty")}


async def _page(request: Request, session: AsyncSession, staff: StaffUser, *, values: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> Response:
    data = await _page_data(session, staff)
    return render(request, "duty/index.html", {**data, "values": values or {}, "errors": errors or {}},
                  status_code=status_code)


@router.get("/duty", include_in_schema=False)
async def duty_page(request: Request, session: SessionDep, staff: Viewer) -> Response:
    return await _page(request, session, staff)


@router.post("/duty", include_in_schema=False)
async def add_shift(request: Request, community_id: int = Form(...), staff_id: str = Form(""),
                    weekdays: str = Form("每天"), starts: str = Form(""), ends: str = Form(""),
                    label: str = Form(""), *, session: SessionDep, actor: CurrentActor, staff: Editor) -> Response:
    require_community(staff, community_id)
    values = {"community_id": community_id, "staff_id": staff_id, "weekdays": weekdays, "starts": starts,
              "ends": ends, "label": label}
    try:
        shift = await duty.add_shift(session, community_id=community_id,
                                     staff_id=int(staff_id) if staff_id.isdigit() else 0, weekdays=weekdays,
                                     starts=starts, ends=ends, label=label, actor=actor)
    except duty.DutyError as exc:
        await discard(session)
        return await _page(request, session, staff, values=values, errors={exc.field: str(exc)}, status_code=400)
    guard = await session.get(StaffUser, shift.staff_id)
    done = ADDED.format(name=guard.display_name, days=shift.days_label, hours=shift.hours_label)
    flash(request, done)
    return redirect("/admin/duty")


@router.post("/duty/{shift_id}/remove", include_in_schema=False)
async def remove_shift(request: Request, session: SessionDep, actor: CurrentActor, staff: Editor,
                       shift: ShiftDep) -> Response:
    await duty.remove_shift(session, shift=shift, actor=actor)
    flash(request, REMOVED)
    return redirect("/admin/duty")


@router.get("/api/duty", tags=["duty"])
async def api_duty(session: SessionDep, staff: Viewer) -> dict:
    """The roster of your communities and who is on duty now (rostered: false means nobody is rostered now, so
    every active guard of the community is told)."""
    data = await _page_data(session, staff)
    return {"communities": [
        {"id": c.id, "name": c.name,
         "on_duty": [g.display_name for g in data["on_duty"][c.id].staff],
         "rostered": data["on_duty"][c.id].rostered,
         "shifts": [{"id": s.id, "staff": data["names"].get(s.staff_id, ""), "weekdays": s.weekdays,
                     "starts": f"{s.starts:%H:%M}", "ends": f"{s.ends:%H:%M}", "label": s.label}
                    for s in data["shifts"] if s.community_id == c.id]}
        for c in data["communities"]]}


section = Section(name="duty", router=router,
                  nav=[NavLink("值班", "/admin/duty", section="duty", order=59)])
