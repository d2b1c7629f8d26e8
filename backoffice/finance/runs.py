"""生成账单: pick a community and a billing month, see what the run would add (per fee item, lines and amount),
then commit it — the same generate_bills as `linli bills generate`, idempotent."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.finance.common import may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import audit_name, require_community, runtime_of, scoped
from backoffice.security import visible_communities as communities_of
from workflows.billing import messages as text
from workflows.billing.generation import generate_bills, preview_run
from workflows.billing.models import BillRun
from workflows.billing.pricing import parse_period, yuan
from workflows.clock import local, utcnow
from workflows.db import transaction
from workflows.staff.models import StaffUser

router = APIRouter()


async def _context(session: AsyncSession, staff: StaffUser) -> dict:
    runs = list(await session.scalars(scoped(select(BillRun), BillRun, staff)
                                      .order_by(BillRun.period.desc(), BillRun.id.desc()).limit(60)))
    communities = await communities_of(session, staff)
    return {"runs": runs, "communities": [(c.id, c.name) for c in communities],
            "names": {c.id: c.name for c in communities}}


def _valid_period(period: str) -> str | None:
    try:
        parse_period(period.strip())
    except ValueError:
        return None
    return period.strip()


@router.get("/finance/runs", include_in_schema=False)
async def runs(request: Request, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        context = await _context(session, staff)
    values = {"period": local(utcnow()).strftime("%Y-%m")}
    return render(request, "finance/runs.html", {**context, "values": values, "errors": {}, "preview": None})


@router.post("/finance/runs/preview", include_in_schema=False)
async def run_preview(request: Request, community_id: int = Form(0), period: str = Form(""),
                      staff: StaffUser = Depends(may_finance)) -> Response:
    require_community(staff, community_id)
    async with transaction(runtime_of(request).sessions) as session:
        context = await _context(session, staff)
        month = _valid_period(period)
        preview = await preview_run(session, community_id=community_id, period=month) if month else None
    values = {"period": period, "community_id": community_id}
    if preview is None:
        return render(request, "finance/runs.html", {**context, "values": values, "preview": None,
                                                     "errors": {"period": text.PERIOD_FORMAT}}, status_code=400)
    return render(request, "finance/runs.html", {**context, "values": values, "errors": {}, "preview": preview,
                                                 "yuan": yuan})


@router.post("/finance/runs/commit", include_in_schema=False)
async def run_commit(request: Request, community_id: int = Form(0), period: str = Form(""),
                     staff: StaffUser = Depends(may_finance)) -> Response:
    require_community(staff, community_id)
    month = _valid_period(period)
    if month is None:
        flash(request, text.PERIOD_FORMAT, level="error")
        return redirect("/admin/finance/runs")
    [run] = await generate_bills(runtime_of(request).sessions, period=month, community_ids=[community_id],
                                 started_by=audit_name(staff))
    flash(request, f"账期 {month} 已生成：共 {run.bills_created} 行，应收 {yuan(run.amount_fen)} 元")
    return redirect(f"/admin/finance/bills?period={month}")
