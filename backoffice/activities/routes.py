"""活动报名: create activities (time, place, capacity, deadline), see who signed up, export the list to xlsx."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.api_errors import field_error
from backoffice.deps import ActivityDep, CurrentActor, SessionDep, Staff, discard
from backoffice.exports import xlsx_response
from backoffice.forms import FormError, local_datetime, whole_number
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import require_community, runtime_of, scoped
from backoffice.security import visible_communities as communities_of
from workflows.activities.models import Activity
from workflows.activities.service import ActivityError, cancel_activity, create_activity, signups_of
from workflows.community.models import Household
from workflows.staff.models import StaffUser

router = APIRouter()
Reader = Staff("activities")
Organiser = Staff("activities", "create")


async def _list_context(session: AsyncSession, staff: StaffUser) -> dict:
    rows = list(await session.scalars(scoped(select(Activity), Activity, staff)
                                      .order_by(Activity.starts_at.desc()).limit(100)))
    communities = await communities_of(session, staff)
    return {"rows": rows, "communities": [(c.id, c.name) for c in communities]}


@router.get("/activities", include_in_schema=False)
async def activity_list(request: Request, session: SessionDep, staff: Reader, format: str = "") -> Response:
    context = await _list_context(session, staff)
    if format == "xlsx":
        return xlsx_response("活动", ["活动", "地点", "时间", "报名截止", "名额", "已报名", "状态"],
                             [[a.title, a.place, a.starts_at, a.signup_deadline, a.capacity, a.signed_count,
                               "已取消" if a.status.value == "cancelled" else "报名中"] for a in context["rows"]])
    return render(request, "activities/list.html", {**context, "values": {}, "errors": {}})


@router.post("/activities", include_in_schema=False)
async def activity_create(request: Request, community_id: int = Form(0), title: str = Form(""),
                          place: str = Form(""), starts_at: str = Form(""), signup_deadline: str = Form(""),
                          capacity: str = Form(""), description: str = Form(""), *, session: SessionDep,
                          staff: Organiser) -> Response:
    require_community(staff, community_id)
    tz = runtime_of(request).settings.tz
    try:
        activity = await create_activity(
            session, community_id=community_id, title=title, place=place, description=description,
            starts_at=local_datetime(starts_at, "starts_at", tz),
            signup_deadline=local_datetime(signup_deadline, "signup_deadline", tz),
            capacity=whole_number(capacity, "capacity"), staff_id=staff.id)
    except (ActivityError, FormError) as exc:
        await discard(session)
        context = await _list_context(session, staff)
        values = {"community_id": community_id, "title": title, "place": place, "starts_at": starts_at,
                  "signup_deadline": signup_deadline, "capacity": capacity, "description": description}
        return render(request, "activities/list.html", {**context, "values": values,
                                                        "errors": {exc.field: str(exc)}}, status_code=400)
    flash(request, f"活动「{activity.title}」已发布，业主可以在聊天里发送「活动报名」报名。")
    return redirect(f"/admin/activities/{activity.id}")


@router.get("/activities/{activity_id}", include_in_schema=False)
async def activity_detail(request: Request, session: SessionDep, activity: ActivityDep, format: str = "") -> Response:
    signups = await signups_of(session, activity_id=activity.id)
    homes = {h.id: h.label for h in await session.scalars(select(Household).where(
        Household.id.in_([s.household_id for s in signups if s.household_id])))}
    if format == "xlsx":
        return xlsx_response(f"{activity.title}报名名单", ["序号", "姓名", "电话", "房屋", "报名时间"],
                             [[n, s.name, s.phone, homes.get(s.household_id or 0, ""), s.created_at]
                              for n, s in enumerate(signups, start=1)])
    return render(request, "activities/detail.html", {"a": activity, "signups": signups, "homes": homes})


@router.post("/activities/{activity_id}/cancel", include_in_schema=False)
async def activity_cancel(request: Request, session: SessionDep, actor: CurrentActor,
                          activity: ActivityDep) -> Response:
    try:
        await cancel_activity(session, activity=activity, actor=actor)
    except ActivityError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    flash(request, "活动已取消，报名已关闭。", "warn")
    return redirect(f"/admin/activities/{activity.id}")


@router.get("/api/activities", tags=["activities"])
async def api_list(session: SessionDep, staff: Reader) -> dict:
    rows = (await _list_context(session, staff))["rows"]
    return {"items": [{"id": a.id, "community_id": a.community_id, "title": a.title, "place": a.place,
                       "starts_at": a.starts_at.isoformat(), "signup_deadline": a.signup_deadline.isoformat(),
                       "capacity": a.capacity, "signed": a.signed_count, "status": a.status.value} for a in rows]}


@router.get("/api/activities/{activity_id}/signups", tags=["activities"])
async def api_signups(session: SessionDep, activity: ActivityDep) -> dict:
    signups = await signups_of(session, activity_id=activity.id)
    return {"items": [{"name": s.name, "phone": s.phone, "household_id": s.household_id,
                       "signed_at": s.created_at.isoformat()} for s in signups]}


class ActivityIn(BaseModel):
    community_id: int
    title: str
    place: str
    starts_at: datetime  # with a timezone, e.g. 2026-11-28T14:00:00+08:00
    signup_deadline: datetime
    capacity: int
    description: str = ""


@router.post("/api/activities", tags=["activities"])
async def api_create(request: Request, payload: ActivityIn, session: SessionDep, staff: Organiser) -> dict:
    """Create an activity; a bad field answers 422 with its name."""
    require_community(staff, payload.community_id)
    tz = runtime_of(request).settings.tz
    try:
        activity = await create_activity(
            session, community_id=payload.community_id, title=payload.title, place=payload.place,
            description=payload.description, capacity=payload.capacity, staff_id=staff.id,
            starts_at=payload.starts_at if payload.starts_at.tzinfo else payload.starts_at.replace(tzinfo=tz),
            signup_deadline=payload.signup_deadline if payload.signup_deadline.tzinfo
            else payload.signup_deadline.replace(tzinfo=tz))
    except ActivityError as exc:
        raise field_error(exc.field, str(exc)) from exc
    return {"id": activity.id}


section = Section(name="activities", router=router,
                  nav=[NavLink("活动", "/admin/activities", section="activities", order=45)])
