"""Assembling the back office: routers under /admin, the session cookie, static files, error pages, staff-only docs.

linli/app.py calls `install_backoffice(app, runtime)`; `build_backoffice(runtime)` alone returns the routers.
Sections are discovered: every backoffice/<name>/routes.py that defines `section = Section(...)`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

import backoffice
from backoffice import messages as m
from backoffice.api_errors import declare_errors
from backoffice.headers import AdminSecurityHeaders
from backoffice.rendering import Section, register_nav, render
from backoffice.security import SESSION_COOKIE, SESSION_MAX_AGE_S, LoginRequired, current_staff, verify_csrf
from workflows.runtime import Runtime
from workflows.staff.models import StaffUser

log = logging.getLogger("linli.backoffice")
BackgroundJob = tuple[str, float, Callable[[], Awaitable[object]]]
STATIC_DIR = Path(__file__).parent / "static"


def discover_sections() -> list[Section]:
    """Every backoffice/<package>/routes.py with a `section` (ours and other helpers' alike)."""
    sections: list[Section] = []
    for info in sorted(pkgutil.iter_modules(backoffice.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"backoffice.{info.name}.routes")
        except ModuleNotFoundError as exc:
            if exc.name == f"backoffice.{info.name}.routes":
                continue
            raise
        section = getattr(module, "section", None)
        if isinstance(section, Section):
            sections.append(section)
    return sections


def build_backoffice(runtime: Runtime) -> list[APIRouter]:
    """The /admin router: every section's pages and JSON API behind the CSRF check."""
    admin = APIRouter(prefix="/admin", dependencies=[Depends(verify_csrf)])
    for section in discover_sections():
        declare_errors(section.router)
        admin.include_router(section.router)
        register_nav(*section.nav)
    admin.include_router(_docs_router())
    return [admin]


def _docs_router() -> APIRouter:
    """OpenAPI for staff only: /docs and /openapi.json move behind the staff session at /admin/docs."""
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request, staff: StaffUser = Depends(current_staff)) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs")
    async def docs(staff: StaffUser = Depends(current_staff)) -> HTMLResponse:
        bundle = STATIC_DIR / "swagger" / "swagger-ui-bundle.js"
        if bundle.exists():
            return get_swagger_ui_html(openapi_url="/admin/openapi.json", title="Linli API",
                                       swagger_js_url="/admin/static/swagger/swagger-ui-bundle.js",
                                       swagger_css_url="/admin/static/swagger/swagger-ui.css",
                                       swagger_favicon_url="/admin/static/favicon.svg")
        return HTMLResponse(_plain_docs())

    return router


def _plain_docs() -> str:
    return ("<!doctype html><meta charset=utf-8><title>Linli API</title>"
            "<p>接口说明（OpenAPI）：<a href=/admin/openapi.json>/admin/openapi.json</a></p>")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/admin/api") or "application/json" in request.headers.get("accept", "")


def install_backoffice(app: FastAPI, runtime: Runtime) -> list[BackgroundJob]:
    """Mount the back office on the app (session middleware, static files, routers, error pages, docs) and return
    its background jobs as (name, interval_s, run_once) for linli/app.py to run as Loops."""
    settings = runtime.settings
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE_S, path="/admin", same_site="lax", https_only=settings.secure_cookies)
    app.add_middleware(AdminSecurityHeaders)
    app.mount("/admin/static", StaticFiles(directory=str(STATIC_DIR)), name="admin-static")
    # FastAPI's own /docs and /openapi.json would be public: replace them with redirects to the staff-only copies.
    app.router.routes[:] = [r for r in app.router.routes
                            if getattr(r, "path", None) not in ("/docs", "/openapi.json", "/docs/oauth2-redirect")]
    for router in build_backoffice(runtime):
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    async def public_docs() -> RedirectResponse:
        return RedirectResponse("/admin/docs", status_code=307)

    @app.get("/openapi.json", include_in_schema=False)
    async def public_openapi() -> RedirectResponse:
        return RedirectResponse("/admin/openapi.json", status_code=307)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request) or request.headers.get("HX-Request"):
            return JSONResponse({"detail": m.LOGIN_REQUIRED}, status_code=401,
                                headers={"HX-Redirect": "/admin/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={target}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def admin_errors(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/admin") or _wants_json(request):
            return await http_exception_handler(request, exc)
        if exc.status_code in (400, 403, 404, 405, 409):
            return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                          status_code=exc.status_code)
        return await http_exception_handler(request, exc)

    return background_jobs(runtime)


def background_jobs(runtime: Runtime) -> list[BackgroundJob]:
    """Timed work of the back office's workflows: flag overdue escalations and tell the manager; tell bound staff
    about new escalations and binding requests."""
    from workflows.escalations.scheduled import flag_overdue_escalations, send_staff_notices

    async def overdue() -> object:
        return await flag_overdue_escalations(runtime)

    async def notices() -> object:
        return await send_staff_notices(runtime)

    return [("escalations-overdue", 60.0, overdue), ("staff-notices", 20.0, notices)]
