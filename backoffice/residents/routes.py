"""住户: households and residents (edit), who is bound in WeChat, binding requests (approve/reject), roster import."""

from __future__ import annotations

import asyncio
import json
import secrets
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backoffice.deps import BindingRequestDep, CurrentActor, HouseholdDep, SessionDep, Staff, discard
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import require_community, runtime_of, scoped, visible_communities
from workflows.access import Actor
from workflows.bindings.models import BindingRequest, BindingRequestStatus, WechatBinding
from workflows.bindings.service import BindingError, approve_request, forget_cached_profile, reject_request
from workflows.community.models import Building, Household, Resident
from workflows.community.roster import (
    MAX_BYTES,
    RosterInvalid,
    RosterRow,
    RowError,
    check_resident,
    import_roster,
    read_roster,
    save_resident,
    update_household,
)
from workflows.staff.models import StaffUser

router = APIRouter()
Editor = Staff("residents")
Importer = Staff("residents", "import")
OCCUPANCY = {"occupied": "自住", "rented": "出租", "vacant": "空置"}
RESIDENT_ROLES = {"owner": "业主", "tenant": "租户", "family": "家属"}
PREVIEW_TTL_S = 1800


async def _households(session: AsyncSession, staff: StaffUser, q: str, building_id: int | None) -> list[Household]:
    statement = scoped(select(Household), Household, staff).join(Building).options(
        selectinload(Household.building), selectinload(Household.residents)).order_by(
        Household.community_id, Building.sort_key, Household.room)
    if building_id:
        statement = statement.where(Household.building_id == building_id)
    if q.strip():
        like = f"%{q.strip()}%"
        statement = statement.where(or_(Household.room.like(like), Household.id.in_(
            select(Resident.household_id).where(or_(Resident.name.like(like), Resident.phone.like(like))))))
    return list(await session.scalars(statement.limit(500)))


@router.get("/residents", include_in_schema=False)
async def household_list(request: Request, session: SessionDep, staff: Editor, q: str = "", building_id: str = "",
                         format: str = "") -> Response:
    chosen = int(building_id) if building_id.isdigit() else None
    rows = await _households(session, staff, q, chosen)
    bound = dict((await session.execute(select(WechatBinding.household_id, func.count()).where(
        WechatBinding.household_id.in_([h.id for h in rows])).group_by(WechatBinding.household_id))).tuples().all())
    buildings = list(await session.scalars(scoped(select(Building), Building, staff)
                                           .order_by(Building.community_id, Building.sort_key)))
    pending = await session.scalar(scoped(select(func.count(BindingRequest.id)), BindingRequest, staff)
                                   .where(BindingRequest.status == BindingRequestStatus.PENDING))
    if format == "xlsx":
        return xlsx_response("住户名册", ["楼栋", "房号", "面积", "状态", "业主", "电话", "微信绑定"],
                             [[h.building.name, h.room, h.area_m2, OCCUPANCY[h.occupancy.value],
                               "、".join(r.name for r in h.residents), "、".join(r.phone for r in h.residents),
                               bound.get(h.id, 0)] for h in rows])
    return render(request, "residents/list.html", {"rows": rows, "bound": bound, "q": q, "buildings": buildings,
                                                   "building_id": chosen, "occupancy": OCCUPANCY,
                                                   "pending": pending or 0})


async def _household_page(request: Request, session: AsyncSession, household: Household, *,
                          errors: dict | None = None, values: dict | None = None, status_code: int = 200) -> Response:
    await session.refresh(household, ["building", "residents"])
    bindings = list(await session.scalars(select(WechatBinding).where(WechatBinding.household_id == household.id)
                                          .options(selectinload(WechatBinding.resident))))
    return render(request, "residents/household.html", {
        "h": household, "bindings": bindings, "occupancy": OCCUPANCY, "roles": RESIDENT_ROLES,
        "errors": errors or {}, "values": values or {}}, status_code=status_code)


@router.get("/residents/households/{household_id}", include_in_schema=False)
async def household_detail(request: Request, session: SessionDep, household: HouseholdDep) -> Response:
    return await _household_page(request, session, household)


@router.post("/residents/households/{household_id}", include_in_schema=False)
async def household_save(request: Request, session: SessionDep, actor: CurrentActor, household: HouseholdDep,
                         area_m2: str = Form(""), occupancy: str = Form("")) -> Response:
    errors: dict[str, str] = {}
    try:
        area = Decimal(area_m2.strip()).quantize(Decimal("0.01"))
        if not Decimal("0") <= area < Decimal("10000"):
            raise InvalidOperation
    except InvalidOperation:
        errors["area_m2"] = "面积请填数字，例如 89.5"
    if occupancy not in OCCUPANCY:
        errors["occupancy"] = "请选择居住状态"
    if errors:
        return await _household_page(request, session, household, errors=errors, status_code=400,
                                     values={"area_m2": area_m2, "occupancy": occupancy})
    await update_household(session, household=household, area_m2=area, occupancy=occupancy, actor=actor)
    flash(request, "房屋信息已保存。")
    return redirect(f"/admin/residents/households/{household.id}")


@router.post("/residents/households/{household_id}/residents", include_in_schema=False)
async def resident_save(request: Request, session: SessionDep, actor: CurrentActor, household: HouseholdDep,
                        resident_id: str = Form(""), name: str = Form(""), phone: str = Form(""),
                        role: str = Form("owner")) -> Response:
    errors = check_resident(name=name, phone=phone)
    if role not in RESIDENT_ROLES:
        errors["role"] = "请选择身份"
    if errors:
        return await _household_page(request, session, household, errors=errors, status_code=400,
                                     values={"resident_id": resident_id, "name": name, "phone": phone, "role": role})
    resident = None
    if resident_id.isdigit():
        resident = await session.get(Resident, int(resident_id))
        if resident is None or resident.household_id != household.id:
            raise HTTPException(status_code=404)
    await save_resident(session, household=household, resident=resident, name=name, phone=phone, role=role,
                        actor=actor)
    flash(request, "住户信息已保存。")
    return redirect(f"/admin/residents/households/{household.id}")


async def _pending_requests(session: AsyncSession, staff: StaffUser, *options: object) -> list[BindingRequest]:
    return list(await session.scalars(scoped(select(BindingRequest), BindingRequest, staff)
                                      .where(BindingRequest.status == BindingRequestStatus.PENDING)
                                      .options(*options).order_by(BindingRequest.id)))


@router.get("/residents/binding-requests", include_in_schema=False)
async def binding_requests(request: Request, session: SessionDep, staff: Editor) -> Response:
    rows = await _pending_requests(session, staff,
                                   selectinload(BindingRequest.household).selectinload(Household.residents),
                                   selectinload(BindingRequest.household).selectinload(Household.building))
    return render(request, "residents/binding_requests.html", {"rows": rows, "roles": RESIDENT_ROLES})


async def _decide(request: Request, session: AsyncSession, actor: Actor, binding_request: BindingRequest,
                  decision: str, resident_id: int | None, note: str) -> str:
    """Approve or reject (the loader scoped it), commit, then drop the owner's cached profile; the new status."""
    if decision not in ("approve", "reject"):
        raise HTTPException(status_code=404)
    openid = binding_request.openid
    try:
        if decision == "approve":
            await approve_request(session, request_id=binding_request.id, actor=actor, resident_id=resident_id)
        else:
            await reject_request(session, request_id=binding_request.id, actor=actor, note=note.strip())
    except BindingError as exc:
        raise HTTPException(status_code=409, detail="这条申请已经处理过了。") from exc
    status = binding_request.status.value
    await session.commit()  # the bot may reload the profile as soon as the cache is dropped: commit first
    await forget_cached_profile(runtime_of(request).state, openid=openid)
    return status


@router.post("/residents/binding-requests/{request_id}/{decision}", include_in_schema=False)
async def decide_binding(request: Request, decision: str, session: SessionDep, actor: CurrentActor,
                         binding_request: BindingRequestDep, resident_id: str = Form(""),
                         note: str = Form("")) -> Response:
    await _decide(request, session, actor, binding_request, decision,
                  int(resident_id) if resident_id.isdigit() else None, note)
    flash(request, "已通过，业主会收到微信通知。" if decision == "approve" else "已拒绝，业主会收到微信通知。")
    return redirect("/admin/residents/binding-requests")


# --- roster import: upload → preview (per-row errors) → confirm (one transaction) --------------------------------


async def _import_page(request: Request, session: AsyncSession, staff: StaffUser, **context: object) -> Response:
    communities = [(c.id, c.name) for c in await visible_communities(session, staff)]
    status_code = int(context.pop("status_code", 200))  # type: ignore[call-overload]
    return render(request, "residents/import.html", {"communities": communities, "rows": [], "errors": [],
                                                     "token": "", **context}, status_code=status_code)


@router.get("/residents/import", include_in_schema=False)
async def import_form(request: Request, session: SessionDep, staff: Importer) -> Response:
    return await _import_page(request, session, staff)


@router.post("/residents/import", include_in_schema=False)
async def import_preview(request: Request, session: SessionDep, staff: Importer, community_id: int = Form(0),
                         roster: UploadFile = File(...)) -> Response:
    require_community(staff, community_id)
    if roster.size is not None and roster.size > MAX_BYTES:  # refused before reading it into memory
        rows, errors = [], [RowError(0, "file", "文件太大（最大 5 MB）")]
    else:
        # Parsed in a worker thread: the event loop (the WeChat webhook included) keeps answering meanwhile.
        data = await roster.read(MAX_BYTES + 1)
        rows, errors = await asyncio.to_thread(read_roster, roster.filename or "", data)
    token = ""
    if rows and not errors:
        token = secrets.token_urlsafe(16)
        await runtime_of(request).state.set(f"roster:{staff.id}:{token}", json.dumps(
            {"community_id": community_id, "rows": [r.as_json() for r in rows]}), PREVIEW_TTL_S)
    return await _import_page(request, session, staff, rows=rows, errors=errors, token=token,
                              community_id=community_id, filename=roster.filename,
                              status_code=400 if errors else 200)


@router.post("/residents/import/confirm", include_in_schema=False)
async def import_confirm(request: Request, session: SessionDep, actor: CurrentActor, staff: Importer,
                         token: str = Form("")) -> Response:
    key = f"roster:{staff.id}:{token}"
    raw = await runtime_of(request).state.get(key) if token else None
    if raw is None:
        flash(request, "预览已过期，请重新上传名册。", "warn")
        return redirect("/admin/residents/import")
    data = json.loads(raw)
    community_id = require_community(staff, data["community_id"])
    rows = [RosterRow.from_json(r) for r in data["rows"]]
    try:
        result = await import_roster(session, community_id=community_id, rows=rows, actor=actor)
    except RosterInvalid as exc:
        await discard(session)
        return await _import_page(request, session, staff, errors=exc.errors, status_code=400)
    await session.commit()  # the preview is forgotten only once the import is kept
    await runtime_of(request).state.delete(key)
    flash(request, f"导入完成：新增房屋 {result.households_created} 户，新增住户 {result.residents_created} 人，"
                   f"更新 {result.households_updated + result.residents_updated} 条。")
    return redirect("/admin/residents")


@router.get("/api/households", tags=["residents"])
async def api_households(session: SessionDep, staff: Editor, q: str = "") -> dict:
    rows = await _households(session, staff, q, None)
    return {"items": [{"id": h.id, "community_id": h.community_id, "label": h.label, "area_m2": str(h.area_m2),
                       "occupancy": h.occupancy.value,
                       "residents": [{"id": r.id, "name": r.name, "phone": r.phone, "role": r.role.value}
                                     for r in h.residents]} for h in rows]}


@router.get("/api/binding-requests", tags=["residents"])
async def api_binding_requests(session: SessionDep, staff: Editor) -> dict:
    """Binding requests waiting for a decision in your communities."""
    rows = await _pending_requests(session, staff)
    return {"items": [{"id": r.id, "household_id": r.household_id, "name": r.name, "phone": r.phone,
                       "role": r.role, "created_at": r.created_at.isoformat()} for r in rows]}


class DecisionIn(BaseModel):
    resident_id: int | None = None  # approve: bind to this roster resident instead of adding a new one
    note: str = ""  # reject: the reason the owner sees


@router.post("/api/binding-requests/{request_id}/{decision}", tags=["residents"])
async def api_decide_binding(request: Request, decision: str, payload: DecisionIn, session: SessionDep,
                             actor: CurrentActor, binding_request: BindingRequestDep) -> dict:
    """decision = approve | reject; the owner is told in WeChat."""
    request_id = binding_request.id
    status = await _decide(request, session, actor, binding_request, decision, payload.resident_id, payload.note)
    return {"id": request_id, "status": status}


section = Section(name="residents", router=router,
                  nav=[NavLink("住户", "/admin/residents", section="residents", order=30)])
