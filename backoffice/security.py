"""Who is asking and what they may see: the staff session, CSRF, community scoping, client addresses.

Handlers do not use this module directly for permissions or sessions: they take backoffice.deps' typed
dependencies (SessionDep, CurrentStaff, CurrentActor, Staff("section", "action"), the scoped …Dep loaders), which
are built on `current_staff` and `scoped` here and ask workflows.access (the rule book):

    @router.get("/repairs/{ticket_id}")
    async def detail(request: Request, session: SessionDep, staff: Staff("repairs"), ticket: RepairDep): ...
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice import messages as m
from workflows.access import Actor
from workflows.community.models import Community
from workflows.runtime import Runtime
from workflows.staff.models import Role, StaffUser
from workflows.staff.service import password_version
from workflows.statestore import StateStoreUnavailable

log = logging.getLogger("linli.backoffice")

SESSION_COOKIE = "linli_admin"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

T = TypeVar("T")


class LoginRequired(Exception):
    """No valid staff session: pages redirect to the login form, the JSON API answers 401."""


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


@functools.lru_cache(maxsize=16)
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip())


def _trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: Request) -> str:
    """The client's address: the TCP peer, or — only when the peer is one of LINLI_TRUSTED_PROXIES — the right-most
    X-Forwarded-For entry that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(runtime_of(request).settings.trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


DEVICE_COOKIE = "linli_device"


def device_id(request: Request) -> str:
    """The browser's random device id (set on the login form): with the address, what a lockout is keyed on."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if len(value) == 22 and value.replace("-", "").replace("_", "").isalnum() else ""


def new_device_id() -> str:
    return secrets.token_urlsafe(16)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); forms carry it in `csrf_token`, htmx/JSON in a header."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Router-wide dependency: every unsafe request must carry the session's token (header or form field)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette: the endpoint reads the same form
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise HTTPException(status_code=403, detail=m.CSRF_FAILED)


async def current_staff(request: Request) -> StaffUser:
    """The logged-in staff member (loaded once per request), or LoginRequired."""
    cached = getattr(request.state, "staff", None)
    if cached is not None:
        return cached
    staff_id = request.session.get("staff_id")
    if not isinstance(staff_id, int):
        raise LoginRequired()
    async with runtime_of(request).sessions() as session:
        staff = await session.get(StaffUser, staff_id)
    if staff is None or not staff.active or request.session.get("pv") != password_version(staff) \
            or await _logged_out(request):
        request.session.pop("staff_id", None)
        raise LoginRequired()
    request.state.staff = staff
    return staff


def _revocation_key(sid: str) -> str:
    return f"admin-logout:{sid}"


async def _logged_out(request: Request) -> bool:
    """A session id that logged out stays refused until its cookie would have expired, even if the cookie was kept."""
    sid = request.session.get("sid")
    if not sid:
        return True
    try:
        return await runtime_of(request).state.get(_revocation_key(str(sid))) is not None
    except StateStoreUnavailable:
        log.warning("state store unavailable: logout revocation not checked")
        return False


def start_session(request: Request, staff: StaffUser) -> None:
    """A fresh session (new id, new CSRF token) at every login: no fixation."""
    request.session.clear()
    request.session["sid"] = secrets.token_urlsafe(16)
    request.session["staff_id"] = staff.id
    request.session["pv"] = password_version(staff)
    csrf_token(request)


async def end_session(request: Request) -> None:
    """Logout: the cookie is cleared and its session id refused from now on."""
    sid = request.session.get("sid")
    request.session.clear()
    if sid:
        try:
            await runtime_of(request).state.set(_revocation_key(str(sid)), "1", SESSION_MAX_AGE_S)
        except StateStoreUnavailable:
            log.warning("state store unavailable: logout of session %s not recorded", sid)


def is_admin(staff: StaffUser) -> bool:
    return staff.role == Role.ADMIN


def require_roles(*roles: Role) -> Callable[..., Awaitable[StaffUser]]:
    """A dependency that lets in the listed roles (admins always) and answers 403 to everyone else."""
    allowed = {Role(r) for r in roles} | {Role.ADMIN}

    async def dependency(staff: StaffUser = Depends(current_staff)) -> StaffUser:
        if staff.role not in allowed:
            raise HTTPException(status_code=403, detail=m.FORBIDDEN)
        return staff

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]  # for docs and tests
    return dependency


def may(staff: StaffUser, *roles: Role) -> bool:
    """Whether the staff member has one of these roles (admins may everything): for buttons in templates."""
    return staff.role == Role.ADMIN or staff.role in roles


def actor_of(staff: StaffUser) -> Actor:
    """The Actor services expect (role and id), for state machines and audit rows."""
    return Actor.of_staff(staff)


def audit_name(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


def scoped(statement: Select[Any], model: type, staff: StaffUser) -> Select[Any]:
    """Filter a select to the staff member's communities (admins: all). `model` must have community_id."""
    if is_admin(staff):
        return statement
    return statement.where(model.community_id.in_(staff.community_ids or {-1}))


def in_scope(staff: StaffUser, community_id: int | None) -> bool:
    return is_admin(staff) or (community_id is not None and community_id in staff.community_ids)


async def get_scoped_or_404(session: AsyncSession, model: type[T], row_id: int, staff: StaffUser) -> T:
    """Load a row by id if it belongs to one of the staff member's communities; otherwise 404 (nothing leaked)."""
    row = await session.scalar(scoped(select(model).where(model.id == row_id), model, staff))  # type: ignore[attr-defined]
    if row is None:
        raise HTTPException(status_code=404, detail=m.NOT_FOUND)
    return row


async def visible_communities(session: AsyncSession, staff: StaffUser) -> list[Community]:
    """The communities this staff member works for (admins: every one), by name."""
    statement = select(Community).order_by(Community.id)
    if not is_admin(staff):
        statement = statement.where(Community.id.in_(staff.community_ids or {-1}))
    return list(await session.scalars(statement))


def require_community(staff: StaffUser, community_id: int | None) -> int:
    """A community id from a form or JSON body: accepted only when it is in scope, else 404."""
    if community_id is None or not in_scope(staff, community_id):
        raise HTTPException(status_code=404, detail=m.NOT_FOUND)
    return community_id
