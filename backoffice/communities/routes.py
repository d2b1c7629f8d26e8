"""小区设置: the company admin creates the company's communities, changes their settings (name, code, 物业电话,
address, location and radius, office hours) and adds buildings. Households and owners come from the roster import
on the 住户 page. The same services as `linli community …` (workflows.community.manage)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.deps import CommunityDep, CurrentActor, SessionDep, Staff, discard
from backoffice.rendering import NavLink, Section, flash, redirect, render
from workflows.community.manage import (
    CommunityError,
    CommunityValues,
    add_buildings,
    building_names,
    create_community,
    parse_location,
    update_community,
)
from workflows.community.models import Community, Household
from workflows.community.service import list_buildings

router = APIRouter()
Editor = Staff("communities", "edit")  # admins only (workflows.access SECTIONS): a community is the company's
FIELDS = ("code", "name", "phone", "address", "location", "radius_m", "working_hours")


def _form_values(community: Community) -> dict[str, str]:
    location = f"{community.latitude},{community.longitude}" if community.latitude is not None else ""
    return {"code": community.code, "name": community.name, "phone": community.phone, "address": community.address,
            "location": location, "radius_m": str(community.radius_m), "working_hours": community.working_hours}


def _parse(form: dict[str, str]) -> CommunityValues:
    latitude, longitude = parse_location(form.get("location", ""))
    try:
        radius = int(form.get("radius_m") or 500)
    except ValueError as exc:
        raise CommunityError("radius_m", "范围半径填数字（米），例如 500") from exc
    return CommunityValues(code=form.get("code", ""), name=form.get("name", ""), phone=form.get("phone", ""),
                           address=form.get("address", ""), latitude=latitude, longitude=longitude,
                           radius_m=radius, working_hours=form.get("working_hours", ""))


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {name: str(data.get(name, "")) for name in (*FIELDS, "buildings")}


async def _list_page(request: Request, session: AsyncSession, *, values: dict | None = None,
                     errors: dict | None = None, status_code: int = 200) -> Response:
    communities = list(await session.scalars(select(Community).order_by(Community.id)))
    counts = dict((await session.execute(select(Household.community_id, func.count())
                                         .group_by(Household.community_id))).all())
    return render(request, "communities/list.html", {
        "communities": communities, "counts": counts, "values": values or {"radius_m": "500"},
        "errors": errors or {}}, status_code=status_code)


@router.get("/communities", include_in_schema=False)
async def community_list(request: Request, session: SessionDep, staff: Staff("communities")) -> Response:
    return await _list_page(request, session)


@router.post("/communities", include_in_schema=False)
async def community_create(request: Request, session: SessionDep, actor: CurrentActor, staff: Editor) -> Response:
    form = await _form(request)
    try:
        community = await create_community(session, values=_parse(form), actor=actor)
        await add_buildings(session, community=community, names=building_names(form["buildings"]), actor=actor)
    except CommunityError as exc:
        await discard(session)
        return await _list_page(request, session, values=form, errors={exc.field: str(exc)}, status_code=400)
    flash(request, f"已创建小区 {community.name}。下一步：在「住户」页导入业主名册，在「员工」页为它开账号。")
    return redirect(f"/admin/communities/{community.id}")


async def _edit_page(request: Request, session: AsyncSession, community: Community, *, values: dict | None = None,
                     errors: dict | None = None, status_code: int = 200) -> Response:
    buildings = await list_buildings(session, community_id=community.id)
    households = await session.scalar(select(func.count()).where(Household.community_id == community.id))
    return render(request, "communities/edit.html", {
        "community": community, "buildings": buildings, "households": households,
        "values": values or _form_values(community), "errors": errors or {}}, status_code=status_code)


@router.get("/communities/{community_id}", include_in_schema=False)
async def community_edit(request: Request, session: SessionDep, community: CommunityDep) -> Response:
    return await _edit_page(request, session, community)


@router.post("/communities/{community_id}", include_in_schema=False)
async def community_update(request: Request, session: SessionDep, actor: CurrentActor, staff: Editor,
                           community: CommunityDep) -> Response:
    form = await _form(request)
    try:
        await update_community(session, community=community, values=_parse(form), actor=actor)
    except CommunityError as exc:
        await discard(session)
        await session.refresh(community)
        return await _edit_page(request, session, community, values=form, errors={exc.field: str(exc)},
                                status_code=400)
    flash(request, "已保存小区设置。")
    return redirect(f"/admin/communities/{community.id}")


@router.post("/communities/{community_id}/buildings", include_in_schema=False)
async def community_buildings(request: Request, session: SessionDep, actor: CurrentActor, staff: Editor,
                              community: CommunityDep, buildings: str = Form("")) -> Response:
    try:
        added = await add_buildings(session, community=community, names=building_names(buildings), actor=actor)
    except CommunityError as exc:
        await discard(session)
        await session.refresh(community)
        return await _edit_page(request, session, community, errors={"buildings": str(exc)}, status_code=400)
    flash(request, f"已添加 {len(added)} 栋楼。" if added else "这些楼栋都已经有了。")
    return redirect(f"/admin/communities/{community.id}")


section = Section(name="communities", router=router,
                  nav=[NavLink("小区设置", "/admin/communities", section="communities", order=88)])
