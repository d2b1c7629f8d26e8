"""公告: compose for a community or a building, publish (pushed to bound owners via the outbox), delivery counts."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.api_errors import field_error
from backoffice.deps import AnnouncementDep, CurrentActor, SessionDep, Staff, discard
from backoffice.exports import xlsx_response
from backoffice.forms import optional_id
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import require_community, scoped
from backoffice.security import visible_communities as communities_of
from workflows.announcements.models import Announcement
from workflows.announcements.service import (
    AnnouncementError,
    create_announcement,
    delivery_counts,
    publish_announcement,
    withdraw_announcement,
)
from workflows.community.models import Building
from workflows.staff.models import StaffUser

router = APIRouter()
Reader = Staff("announcements")
Author = Staff("announcements", "create")
STATUS = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}


async def _form_context(session: AsyncSession, staff: StaffUser) -> dict:
    communities = await communities_of(session, staff)
    buildings = list(await session.scalars(select(Building).where(
        Building.community_id.in_([c.id for c in communities])).order_by(Building.community_id, Building.sort_key)))
    names = {c.id: c.name for c in communities}
    return {"communities": [(c.id, c.name) for c in communities],
            "buildings": [("", "全小区")] + [(b.id, f"{names[b.community_id]} · {b.name}") for b in buildings]}


async def _rows(session: AsyncSession, staff: StaffUser) -> list[Announcement]:
    return list(await session.scalars(scoped(select(Announcement), Announcement, staff)
                                      .order_by(Announcement.id.desc()).limit(100)))


@router.get("/announcements", include_in_schema=False)
async def announcement_list(request: Request, session: SessionDep, staff: Reader, format: str = "") -> Response:
    rows = await _rows(session, staff)
    counts = {a.id: await delivery_counts(session, announcement_id=a.id) for a in rows if a.recipients}
    context = await _form_context(session, staff)
    if format == "xlsx":
        empty = {"sent": 0, "pending": 0, "sending": 0, "dead": 0}
        return xlsx_response("公告", ["标题", "状态", "置顶", "发布时间", "推送人数", "已送达", "待发", "失败"],
                             [[a.title, STATUS[a.status.value], "是" if a.pinned else "", a.published_at,
                               a.recipients, counts.get(a.id, empty)["sent"],
                               counts.get(a.id, empty)["pending"] + counts.get(a.id, empty)["sending"],
                               counts.get(a.id, empty)["dead"]] for a in rows])
    return render(request, "announcements/list.html", {"rows": rows, "counts": counts, "status": STATUS,
                                                       "values": {}, "errors": {}, **context})


@router.post("/announcements", include_in_schema=False)
async def announcement_create(request: Request, session: SessionDep, actor: CurrentActor, staff: Author,
                              community_id: int = Form(0), building_id: str = Form(""), title: str = Form(""),
                              body: str = Form(""), pinned: bool = Form(False), publish: str = Form("")) -> Response:
    require_community(staff, community_id)
    try:
        announcement = await create_announcement(session, community_id=community_id, title=title, body=body,
                                                 building_id=optional_id(building_id), pinned=pinned,
                                                 staff_id=staff.id)
        sent = await publish_announcement(session, announcement=announcement, actor=actor) if publish else None
    except AnnouncementError as exc:
        await discard(session)
        values = {"community_id": community_id, "building_id": building_id, "title": title, "body": body,
                  "pinned": pinned}
        return render(request, "announcements/list.html", {
            "rows": await _rows(session, staff), "counts": {}, "status": STATUS, "values": values,
            "errors": {exc.field: str(exc)}, **await _form_context(session, staff)}, status_code=400)
    flash(request, f"公告已发布，正在推送给 {sent} 位已绑定的业主。" if sent is not None else "公告已保存为草稿。")
    return redirect("/admin/announcements")


@router.post("/announcements/{announcement_id}/{action}", include_in_schema=False)
async def announcement_action(request: Request, action: str, session: SessionDep, actor: CurrentActor,
                              announcement: AnnouncementDep) -> Response:
    if action not in ("publish", "withdraw"):
        raise HTTPException(status_code=404)
    try:
        if action == "publish":
            sent = await publish_announcement(session, announcement=announcement, actor=actor)
            flash(request, f"公告已发布，正在推送给 {sent} 位已绑定的业主。")
        else:
            await withdraw_announcement(session, announcement=announcement, actor=actor)
            flash(request, "公告已撤回，业主在聊天里不会再看到它。")
    except AnnouncementError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return redirect("/admin/announcements")


class AnnouncementIn(BaseModel):
    community_id: int
    title: str
    body: str
    building_id: int | None = None
    pinned: bool = False
    publish: bool = False


@router.get("/api/announcements", tags=["announcements"])
async def api_list(session: SessionDep, staff: Reader) -> dict:
    return {"items": [{"id": a.id, "community_id": a.community_id, "building_id": a.building_id,
                       "title": a.title, "status": a.status.value, "pinned": a.pinned, "recipients": a.recipients,
                       "delivery": await delivery_counts(session, announcement_id=a.id)}
                      for a in await _rows(session, staff)]}


@router.post("/api/announcements", tags=["announcements"])
async def api_create(payload: AnnouncementIn, session: SessionDep, actor: CurrentActor, staff: Author) -> dict:
    """Create (and with publish=true, publish) an announcement; a bad field answers 422 with its name."""
    require_community(staff, payload.community_id)
    try:
        announcement = await create_announcement(session, community_id=payload.community_id, title=payload.title,
                                                 body=payload.body, building_id=payload.building_id,
                                                 pinned=payload.pinned, staff_id=staff.id)
        if payload.publish:
            await publish_announcement(session, announcement=announcement, actor=actor)
    except AnnouncementError as exc:
        raise field_error(exc.field, str(exc)) from exc
    return {"id": announcement.id, "status": announcement.status.value, "recipients": announcement.recipients}


section = Section(name="announcements", router=router,
                  nav=[NavLink("公告", "/admin/announcements", section="announcements", order=40)])
