"""数据分析: today's queue (escalations, work orders near/past SLA, alarms, visitors) and honest charts, each
exportable to xlsx. Managers, front desk and finance see it (payment figures live here)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.dashboard.charts import bar_chart, line_chart
from backoffice.deps import SessionDep, Staff
from backoffice.exports import xlsx_response
from backoffice.rendering import NavLink, Section, render
from backoffice.security import is_admin, runtime_of
from workflows.analytics import queries as a
from workflows.backups.runs import backup_health
from workflows.clock import utcnow
from workflows.staff.models import Role, StaffUser

router = APIRouter()
Viewer = Staff("dashboard")


async def _figures(request: Request, session: AsyncSession, staff: StaffUser) -> dict:
    settings = runtime_of(request).settings
    scope = None if is_admin(staff) else set(staff.community_ids)
    now, tz = utcnow(), settings.tz
    occupancy = await a.occupancy(session, community_ids=scope)
    backup = await backup_health(session, runtime_of(request), now=now)
    return {
        "backup": backup if is_admin(staff) or (staff.role == Role.MANAGER and backup.configured) else None,
        "escalations": await a.escalation_queue(session, community_ids=scope),
        "repairs": await a.repair_queue(session, community_ids=scope, now=now),
        "alarms_built": not a.not_built("workflows.alarms.models"),
        "visitors_built": not a.not_built("workflows.visitors.models"),
        "occupancy": occupancy,
        "occupancy_rate": a.occupancy_rate(occupancy),
        "series": {
            "first_response": await a.first_response_minutes(session, community_ids=scope, now=now, tz=tz),
            "payment_rate": await a.payment_rate_by_month(session, community_ids=scope, now=now, tz=tz),
            "repair_categories": await a.repairs_by_category(session, community_ids=scope, now=now),
            "satisfaction": await a.satisfaction_by_month(session, community_ids=scope, now=now, tz=tz),
            "occupancy": occupancy,
        },
    }


@router.get("/dashboard", include_in_schema=False)
async def dashboard(request: Request, session: SessionDep, staff: Viewer) -> Response:
    figures = await _figures(request, session, staff)
    s = figures["series"]
    charts = {
        "occupancy": bar_chart(s["occupancy"]),
        "payment_rate": bar_chart(s["payment_rate"], top=100),
        "repair_categories": bar_chart(s["repair_categories"]),
        "satisfaction": line_chart(s["satisfaction"], top=5),
        "first_response": line_chart(s["first_response"]),
    }
    return render(request, "dashboard/index.html", {**figures, "charts": charts})


@router.get("/dashboard/export/{name}", include_in_schema=False)
async def export(request: Request, name: str, session: SessionDep, staff: Viewer) -> Response:
    series = (await _figures(request, session, staff))["series"].get(name)
    if series is None:
        raise HTTPException(status_code=404)
    return xlsx_response(series.title, ["项目", f"数值（{series.unit}）" if series.unit else "数值"], series.rows())


@router.get("/api/dashboard", tags=["dashboard"])
async def api_dashboard(request: Request, session: SessionDep, staff: Viewer) -> dict:
    """The dashboard's figures; a series with available=false belongs to a module not built yet."""
    figures = await _figures(request, session, staff)
    return {"escalations": figures["escalations"], "repairs": figures["repairs"],
            "occupancy_rate": figures["occupancy_rate"],
            "series": {k: {"title": v.title, "labels": v.labels, "values": v.values, "unit": v.unit,
                           "available": v.available} for k, v in figures["series"].items()}}


section = Section(name="dashboard", router=router,
                  nav=[NavLink("数据分析", "/admin/dashboard", section="dashboard", order=5)])
