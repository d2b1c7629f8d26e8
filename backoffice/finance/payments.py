"""收款与收据: payment orders (online and offline) with their receipts, a printable receipt page, and the items
finance must look at (待财务处理: amount differences, double payments — refunded from here —, unknown orders)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from backoffice.exports import xlsx_response
from backoffice.finance.common import may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import actor_of, audit_name, get_scoped_or_404, runtime_of, scoped
from workflows.billing.pricing import yuan
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.payments.models import (
    METHOD_LABELS,
    ORDER_STATUS_LABELS,
    PaymentIssue,
    PaymentOrder,
    Receipt,
)
from workflows.payments.providers.interface import ProviderError
from workflows.payments.refunds import RefundRefused, request_refund
from workflows.payments.settle import receipt_lines
from workflows.staff.models import StaffUser

router = APIRouter()
ISSUE_LABELS = {"amount_mismatch": "金额不符", "double_payment": "重复支付", "unknown_order": "未知订单",
                "recon_missing_here": "对账：微信有、本地无", "recon_missing_there": "对账：本地有、微信无",
                "recon_amount": "对账：金额不符"}


@router.get("/finance/payments", include_in_schema=False)
async def payments(request: Request, format: str = "", staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        orders = list(await session.scalars(scoped(select(PaymentOrder), PaymentOrder, staff)
                                            .order_by(PaymentOrder.id.desc()).limit(2000 if format else 200)))
        receipts = dict((await session.execute(select(Receipt.order_id, Receipt.number).where(
            Receipt.order_id.in_([o.id for o in orders])))).all())
    if format == "xlsx":
        return xlsx_response("收款", ["订单", "方式", "金额（元）", "状态", "支付时间", "收据", "微信支付单号", "备注"],
                             [[o.number, METHOD_LABELS[o.method], yuan(o.amount_fen), ORDER_STATUS_LABELS[o.status],
                               o.paid_at, receipts.get(o.id, ""), o.transaction_id or "", o.note] for o in orders])
    return render(request, "finance/payments.html", {"orders": orders, "receipts": receipts, "yuan": yuan,
                                                     "methods": METHOD_LABELS, "statuses": ORDER_STATUS_LABELS})


@router.get("/finance/receipts/{number}", include_in_schema=False)
async def receipt(request: Request, number: str, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        found = await session.scalar(scoped(select(Receipt).where(Receipt.number == number), Receipt, staff))
        if found is None:
            raise HTTPException(404, detail="没有这张收据")
        order = await session.get(PaymentOrder, found.order_id)
    return render(request, "finance/receipt.html", {"receipt": found, "order": order, "yuan": yuan,
                                                    "method": METHOD_LABELS[found.method],
                                                    "lines": receipt_lines(found)})


@router.get("/finance/issues", include_in_schema=False)
async def issues(request: Request, show: str = "open", staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        query = scoped(select(PaymentIssue), PaymentIssue, staff).order_by(PaymentIssue.id.desc()).limit(300)
        if show != "all":
            query = query.where(PaymentIssue.resolved_at.is_(None))
        rows = list(await session.scalars(query))
        orders = {o.id: o for o in await session.scalars(select(PaymentOrder).where(
            PaymentOrder.id.in_([r.order_id for r in rows if r.order_id])))}
    return render(request, "finance/issues.html", {"issues": rows, "orders": orders, "labels": ISSUE_LABELS,
                                                   "show": show, "yuan": yuan})


@router.post("/finance/issues/{issue_id}/resolve", include_in_schema=False)
async def resolve_issue(request: Request, issue_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        issue = await get_scoped_or_404(session, PaymentIssue, issue_id, staff)
        if issue.resolved_at is None:
            issue.resolved_at, issue.resolved_by = utcnow(), audit_name(staff)
    flash(request, "已标记为处理完毕")
    return redirect("/admin/finance/issues")


@router.post("/finance/issues/{issue_id}/refund", include_in_schema=False)
async def refund_issue(request: Request, issue_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    """A double payment: refund what the second order received, through the provider it was paid with."""
    runtime = runtime_of(request)
    async with transaction(runtime.sessions) as session:
        issue = await get_scoped_or_404(session, PaymentIssue, issue_id, staff)
        order = await session.get(PaymentOrder, issue.order_id) if issue.order_id else None
    if issue.kind != "double_payment" or order is None:
        raise HTTPException(409, detail="只有重复支付可以在这里退款")
    provider = request.app.state.payments_provider
    try:
        refund = await request_refund(runtime.sessions, provider, out_trade_no=order.out_trade_no,
                                      amount_fen=order.paid_fen - order.refunded_fen, reason="重复支付退款",
                                      actor=actor_of(staff),
                                      notify_url=f"{runtime.settings.base_url}/pay/notify/{provider.name}")
    except (RefundRefused, ProviderError) as exc:
        flash(request, f"退款未完成：{exc}", level="error")
        return redirect("/admin/finance/issues")
    async with transaction(runtime.sessions) as session:
        issue = await session.get(PaymentIssue, issue_id)
        issue.resolved_at, issue.resolved_by = utcnow(), audit_name(staff)
    flash(request, f"已申请退款 {yuan(refund.amount_fen)} 元（{refund.out_refund_no}）")
    return redirect("/admin/finance/issues")
