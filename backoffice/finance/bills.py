"""账单与欠费: arrears by building and the bill lines (filters: period, building, status), each exportable; a
household's unpaid bills with the offline payment form (现金、转账、POS、银行代扣) through the one settling service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from backoffice.exports import xlsx_response
from backoffice.finance.common import community_ids, may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import actor_of, get_scoped_or_404, runtime_of, scoped
from workflows.billing import messages as text
from workflows.billing.pricing import yuan
from workflows.billing.queries import arrears_by_building, list_bills, periods
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.payments.models import METHOD_LABELS, PaymentMethod
from workflows.payments.orders import OFFLINE_METHODS, PaymentRefused, record_offline_payment, unpaid_bills
from workflows.staff.models import StaffUser

router = APIRouter()


@router.get("/finance/bills", include_in_schema=False)
async def bills(request: Request, period: str = "", building_id: int = 0, status: str = "", format: str = "",
                view: str = "", staff: StaffUser = Depends(may_finance)) -> Response:
    scope = community_ids(staff)
    status = status if status in text.STATUS_LABELS else ""
    async with transaction(runtime_of(request).sessions) as session:
        arrears = await arrears_by_building(session, community_ids=scope, period=period)
        total, rows = await list_bills(session, community_ids=scope, period=period, building_id=building_id or None,
                                       status=status, limit=5000 if format == "xlsx" else 300)
        months = await periods(session, community_ids=scope)
        buildings = list(await session.scalars(scoped(select(Building), Building, staff).order_by(Building.id)))
    if format == "xlsx" and view == "arrears":
        return xlsx_response("欠费", ["楼栋", "应收（元）", "已收（元）", "欠费（元）", "欠费行数", "欠费户数",
                                     "缴费率（%）"],
                             [[a.building, yuan(a.billed_fen), yuan(a.paid_fen), yuan(a.unpaid_fen), a.unpaid_lines,
                               a.households_owing, a.rate] for a in arrears])
    if format == "xlsx":
        return xlsx_response("账单", ["房屋", "账期", "项目", "说明", "金额（元）", "滞纳金（元）", "截止日", "状态"],
                             [[r.household, r.period, r.item, r.description, yuan(r.amount_fen),
                               yuan(r.late_fee_fen), r.due, text.STATUS_LABELS[r.status.value]] for r in rows])
    return render(request, "finance/bills.html", {
        "arrears": arrears, "rows": rows, "total": total, "periods": months, "yuan": yuan,
        "buildings": [(b.id, b.name) for b in buildings], "status_labels": text.STATUS_LABELS,
        "filters": {"period": period, "building_id": building_id, "status": status}})


@router.get("/finance/households/{household_id}", include_in_schema=False)
async def household_bills(request: Request, household_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        household = await get_scoped_or_404(session, Household, household_id, staff)
        label = f"{(await session.get(Building, household.building_id)).name}{household.room}"
        owed = await unpaid_bills(session, household_ids=[household_id])
        _, history = await list_bills(session, community_ids=community_ids(staff), household_id=household_id,
                                      status="paid", limit=50)
    return render(request, "finance/household.html", {
        "household": household, "label": label, "owed": owed, "history": history, "yuan": yuan,
        "methods": [(m.value, METHOD_LABELS[m]) for m in OFFLINE_METHODS], "errors": {}})


@router.post("/finance/households/{household_id}/pay", include_in_schema=False)
async def record_payment(request: Request, household_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    form = await request.form()
    bill_ids = [int(value) for value in form.getlist("bill_id") if str(value).isdigit()]
    method, note = str(form.get("method", "")), str(form.get("note", "")).strip()[:200]
    async with transaction(runtime_of(request).sessions) as session:
        await get_scoped_or_404(session, Household, household_id, staff)
    if not bill_ids:
        flash(request, "请勾选要收款的账单", level="error")
        return redirect(f"/admin/finance/households/{household_id}")
    try:
        async with transaction(runtime_of(request).sessions) as session:
            result = await record_offline_payment(session, household_ids=[household_id], bill_ids=bill_ids,
                                                  method=PaymentMethod(method), actor=actor_of(staff), note=note)
    except (PaymentRefused, ValueError) as exc:
        flash(request, str(exc) if isinstance(exc, PaymentRefused) else "请选择收款方式", level="error")
        return redirect(f"/admin/finance/households/{household_id}")
    flash(request, f"已收款 {yuan(result.order.amount_fen)} 元，收据 {result.receipt.number}")
    return redirect(f"/admin/finance/receipts/{result.receipt.number}")
