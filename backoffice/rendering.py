"""Pages: the Jinja2 environment, `render`, flash messages, redirects, the navigation and the section registry.

A section (escalations, residents, repairs, ...) is an APIRouter plus the nav links it adds to the base template.
Modules under backoffice/<name>/routes.py that define `section = Section(...)` are picked up by build_backoffice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from backoffice.security import CSRF_FIELD, CSRF_HEADER, csrf_token, may
from workflows.access import Actor, allowed_actions
from workflows.clock import local
from workflows.staff.models import ROLE_LABELS, Role, StaffUser

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@dataclass(frozen=True)
class NavLink:
    label: str  # 工单
    href: str  # /admin/repairs
    roles: tuple[Role, ...] = ()  # empty: every staff member; admins always see every link
    section: str = ""  # set: shown when workflows.access lets the staff member "view" this section (roles unused)
    order: int = 50  # position in the nav, small first
    badge_url: str = ""  # optional htmx URL polled for a count badge


@dataclass
class Section:
    name: str
    router: APIRouter
    nav: list[NavLink] = field(default_factory=list)


NAV_LINKS: list[NavLink] = []


def register_nav(*links: NavLink) -> None:
    for link in links:
        if link not in NAV_LINKS:
            NAV_LINKS.append(link)
    NAV_LINKS.sort(key=lambda link: link.order)


def nav_for(staff: StaffUser | None) -> list[NavLink]:
    if staff is None:
        return []
    actor = Actor.of_staff(staff)
    return [link for link in NAV_LINKS if (allowed_actions(actor, link.section) if link.section
                                           else not link.roles or may(staff, *link.roles))]


def flash(request: Request, text: str, level: str = "ok") -> None:
    """A one-time message shown on the next page rendered (levels: ok, warn, error)."""
    # Reassign (not append): the session notices only top-level changes.
    request.session["flash"] = [*request.session.get("flash", []), [level, text]]


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: 303 so the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """Render a page with the frame's context: staff, nav, csrf token, flashes, role helpers."""
    staff: StaffUser | None = getattr(request.state, "staff", None)
    ctx: dict[str, Any] = {
        "request": request,
        "staff": staff,
        "nav": nav_for(staff),
        "csrf_token": csrf_token(request),
        "csrf_field_name": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "flashes": request.session.pop("flash", []),
        "role_label": lambda role: ROLE_LABELS.get(Role(role), role),
        "may": lambda *roles: staff is not None and may(staff, *roles),
        "Role": Role,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def _localtime(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return "" if value is None else local(value).strftime(fmt)


def _yuan(fen: int | None) -> str:
    """Money is integer fen; people read yuan: 12345 -> 123.45."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _num(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


templates.env.filters["localtime"] = _localtime
templates.env.filters["yuan"] = _yuan
templates.env.filters["num"] = _num
