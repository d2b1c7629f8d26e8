"""Login, logout, the staff member's own page: password change and the WeChat invite code (员工绑定)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from backoffice import messages as m
from backoffice.deps import CurrentActor, CurrentStaff, SessionDep, discard
from backoffice.rendering import NavLink, Section, flash, nav_for, redirect, render
from backoffice.security import (
    DEVICE_COOKIE,
    client_ip,
    csrf_token,
    device_id,
    end_session,
    new_device_id,
    runtime_of,
    start_session,
)
from workflows.db import transaction
from workflows.staff.models import StaffUser
from workflows.staff.service import (
    LoginOutcome,
    StaffError,
    authenticate,
    change_password,
    issue_invite_code,
    password_version,
)

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only local back-office paths: never redirect to another site after login."""
    return target if target.startswith("/admin") and not target.startswith("//") else "/admin/"


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, next: str = "/admin/") -> Response:
    csrf_token(request)
    response = render(request, "login.html", {"next": _safe_next(next), "username": "", "error": ""})
    if not device_id(request):
        response.set_cookie(DEVICE_COOKIE, new_device_id(), max_age=365 * 86400, path="/admin", httponly=True,
                            samesite="lax", secure=runtime_of(request).settings.secure_cookies)
    return response


@router.post("/login", include_in_schema=False)
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                next: str = Form("/admin/")) -> Response:
    runtime = runtime_of(request)
    async with transaction(runtime.sessions) as session:
        result = await authenticate(session, state=runtime.state, username=username, password=password,
                                    ip=client_ip(request), client=device_id(request))
    if result.outcome != LoginOutcome.OK or result.staff is None:
        # Unknown username, wrong password and a locked-out client read the same: nothing tells which it was.
        error = {LoginOutcome.RATE_LIMITED: m.RATE_LIMITED, LoginOutcome.INACTIVE: m.INACTIVE}.get(
            result.outcome, m.BAD_CREDENTIALS)
        status = 429 if result.outcome == LoginOutcome.RATE_LIMITED else 400
        return render(request, "login.html", {"next": _safe_next(next), "username": username, "error": error},
                      status_code=status)
    start_session(request, result.staff)
    return redirect(_safe_next(next))


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    await end_session(request)
    flash(request, m.LOGGED_OUT)
    return redirect("/admin/login")


@router.get("/", include_in_schema=False)
async def home(staff: CurrentStaff) -> Response:
    """Each role lands on its first section: managers on 数据分析, technicians on their work orders."""
    links = nav_for(staff)
    return redirect(links[0].href if links else "/admin/me")


@router.get("/me", include_in_schema=False)
async def me(request: Request, staff: CurrentStaff) -> Response:
    return render(request, "me.html", {"errors": {}, "invite_code": staff.wechat_invite_code})


@router.post("/me/password", include_in_schema=False)
async def password(request: Request, session: SessionDep, staff: CurrentStaff, old_password: str = Form(""),
                   new_password: str = Form(""), new_password2: str = Form("")) -> Response:
    errors: dict[str, str] = {}
    if new_password != new_password2:
        errors["new_password2"] = m.PASSWORDS_DIFFER
    else:
        row = await session.get(StaffUser, staff.id)
        assert row is not None
        try:
            await change_password(session, staff=row, old_password=old_password, new_password=new_password)
            request.session["pv"] = password_version(row)
        except StaffError as exc:
            await discard(session)
            errors[exc.field] = str(exc)
    if errors:
        return render(request, "me.html", {"errors": errors, "invite_code": staff.wechat_invite_code},
                      status_code=400)
    flash(request, m.PASSWORD_CHANGED)
    return redirect("/admin/me")


@router.post("/me/invite", include_in_schema=False)
async def invite(request: Request, session: SessionDep, staff: CurrentStaff, actor: CurrentActor) -> Response:
    row = await session.get(StaffUser, staff.id)
    assert row is not None
    code = await issue_invite_code(session, staff=row, actor=actor)
    flash(request, f"绑定码：{code}。请用微信给公众号发送「员工绑定 {code}」。")
    return redirect("/admin/me")


@router.get("/api/session", tags=["session"])
async def api_session(request: Request, staff: CurrentStaff) -> dict:
    """Who you are and the CSRF token to send as X-CSRF-Token with every write."""
    return {"csrf_token": csrf_token(request), "staff": {
        "id": staff.id, "username": staff.username, "name": staff.display_name, "role": staff.role.value,
        "community_ids": sorted(staff.community_ids), "wechat_bound": staff.wechat_openid is not None}}


section = Section(name="auth", router=router, nav=[NavLink("我的账号", "/admin/me", order=90)])
