"""员工: staff accounts of your communities — create, unlock after a lockout, deactivate. Managers manage the
front-line roles of their own communities; only admins create managers and admins."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice import messages as m
from backoffice.deps import CurrentActor, SessionDep, Staff, StaffAccountDep, discard
from backoffice.rendering import NavLink, Section, flash, redirect, render
from backoffice.security import is_admin, runtime_of, visible_communities
from workflows.access import Actor, allowed_actions, roles
from workflows.clock import utcnow
from workflows.staff.models import ROLE_LABELS, Role, StaffUser
from workflows.staff.service import StaffError, create_staff, lift_lockouts, manage_account

router = APIRouter()


def _grantable(manager: StaffUser) -> list[Role]:
    return list(Role) if is_admin(manager) else sorted(roles.FRONT_LINE, key=list(Role).index)


async def _page(request: Request, session: AsyncSession, manager: StaffUser, *, values: dict | None = None,
                errors: dict | None = None, status_code: int = 200) -> Response:
    actor = Actor.of_staff(manager)
    everyone = list(await session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))
    allowed = {s.id: allowed_actions(actor, s) for s in everyone}
    people = [s for s in everyone if "view" in allowed[s.id]]
    communities = await visible_communities(session, manager)
    names = {c.id: c.name for c in communities}
    return render(request, "staff/list.html", {
        "people": people, "allowed": allowed, "names": names, "now": utcnow(), "values": values or {},
        "errors": errors or {},
        "roles": [(r.value, ROLE_LABELS[r]) for r in _grantable(manager)],
        "communities": [(c.code, c.name) for c in communities]}, status_code=status_code)


@router.get("/staff", include_in_schema=False)
async def staff_list(request: Request, session: SessionDep, manager: Staff("staff")) -> Response:
    return await _page(request, session, manager)


@router.post("/staff", include_in_schema=False)
async def staff_create(request: Request, session: SessionDep, actor: CurrentActor,
                       manager: Staff("staff", "create"), username: str = Form(""), display_name: str = Form(""),
                       role: str = Form(""), community: str = Form(""), password: str = Form(""),
                       phone: str = Form(""), skills: str = Form("")) -> Response:
    values = {"username": username, "display_name": display_name, "role": role, "community": community,
              "phone": phone, "skills": skills}
    allowed_codes = {c.code for c in await visible_communities(session, manager)}
    if role not in {r.value for r in _grantable(manager)}:
        return await _page(request, session, manager, values=values, errors={"role": "请选择岗位"}, status_code=400)
    if community and community not in allowed_codes:
        raise HTTPException(status_code=404)
    try:
        await create_staff(session, username=username, display_name=display_name.strip(), role=Role(role),
                           community_codes=[community] if community else [], password=password,
                           phone=phone.strip(), skills=skills.strip(), actor=actor)
    except StaffError as exc:
        await discard(session)
        field = "password" if exc.field == "new_password" else exc.field
        return await _page(request, session, manager, values=values, errors={field: str(exc)}, status_code=400)
    flash(request, f"已创建账号 {username.strip().lower()}，请把初始密码当面告诉本人，并提醒登录后修改。")
    return redirect("/admin/staff")


@router.post("/staff/{staff_id}/{action}", include_in_schema=False)
async def staff_action(request: Request, action: str, session: SessionDep, actor: CurrentActor,
                       other: StaffAccountDep) -> Response:
    if action not in ("unlock", "deactivate", "activate"):
        raise HTTPException(status_code=404)
    if other.id == actor.staff_id and action == "deactivate":
        raise HTTPException(status_code=409, detail="不能停用自己的账号。")
    if action not in allowed_actions(actor, other):
        raise HTTPException(status_code=403, detail=m.FORBIDDEN)
    await manage_account(session, staff=other, action=action, actor=actor)
    if action == "unlock":
        await lift_lockouts(runtime_of(request).state, username=other.username)
    flash(request, {"unlock": "已解锁。", "deactivate": "已停用，这个账号不能再登录。", "activate": "已启用。"}[action])
    return redirect("/admin/staff")


section = Section(name="staff", router=router,
                  nav=[NavLink("员工", "/admin/staff", section="staff", order=85)])
