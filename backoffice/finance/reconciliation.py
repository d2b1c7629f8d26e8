"""对账: each day's reconciliation against the provider's trade bill (counts, and the differences of a day, which
are finance items like any other), fetching a day's bill now, or importing the CSV (the sandbox, or a deployment
without the API). xlsx export of the list and of a day's differences."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from backoffice.exports import xlsx_response
from backoffice.finance.common import may_finance
from backoffice.finance.payments import ISSUE_LABELS
from backoffice.rendering import flash, redirect, render
from backoffice.security import audit_name, runtime_of, scoped
from workflows.billing.pricing import yuan
from workflows.clock import local, utcnow
from workflows.db import transaction
from workflows.payments.models import PaymentIssue, Reconciliation
from workflows.payments.providers.interface import ProviderError
from workflows.payments.reconciliation import (
    MAX_BILL_BYTES,
    TradeBillInvalid,
    decode_bill,
    fetch_and_reconcile,
    issue_key_prefix,
    parse_trade_bill,
    reconcile,
)
from workflows.staff.models import StaffUser

router = APIRouter()
SOURCES = {"api": "自动获取", "import": "导入文件"}


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if day < local(utcnow()).date() + timedelta(days=1) else None


@router.get("/finance/reconciliation", include_in_schema=False)
async def reconciliation(request: Request, day: str = "", format: str = "",
                         staff: StaffUser = Depends(may_finance)) -> Response:
    provider = request.app.state.payments_provider
    chosen = _day(day) if day else None
    async with transaction(runtime_of(request).sessions) as session:
        rows = list(await session.scalars(select(Reconciliation).where(Reconciliation.provider == provider.name)
                                          .order_by(Reconciliation.bill_date.desc()).limit(90)))
        differences = list(await session.scalars(scoped(select(PaymentIssue), PaymentIssue, staff).where(
            PaymentIssue.dedup_key.startswith(issue_key_prefix(provider.name, chosen))).order_by(PaymentIssue.id)
        )) if chosen else []
    if format == "xlsx" and chosen:
        return xlsx_response(f"对账差异-{chosen}",
                             ["类型", "商户订单号", "微信支付（元）", "本地（元）", "说明", "处理"],
                             [[ISSUE_LABELS.get(d.kind, d.kind), d.data.get("out_trade_no", ""),
                               _yuan(d.data.get("there_fen")), _yuan(d.data.get("here_fen")), d.detail,
                               "已处理" if d.resolved_at else "未处理"] for d in differences])
    if format == "xlsx":
        return xlsx_response("对账", ["日期", "来源", "微信支付笔数", "微信支付金额（元）", "本地笔数",
                                     "本地金额（元）", "一致", "微信有本地无", "本地有微信无", "金额不符", "退款笔数",
                                     "操作人"],
                             [[r.bill_date, SOURCES.get(r.source, r.source), r.trades_there, yuan(r.paid_there_fen),
                               r.paid_here, yuan(r.paid_here_fen), r.matched, r.missing_here, r.missing_there,
                               r.amount_differs, r.refunds_there, r.run_by] for r in rows])
    yesterday = local(utcnow()).date() - timedelta(days=1)
    return render(request, "finance/reconciliation.html", {
        "rows": rows, "day": chosen, "differences": differences, "labels": ISSUE_LABELS, "sources": SOURCES,
        "yuan": _yuan, "can_fetch": not provider.sandbox, "provider": provider, "default_day": yesterday,
        "errors": {}})


def _yuan(fen: int | None) -> str:
    return "" if fen is None else yuan(fen)


@router.post("/finance/reconciliation/fetch", include_in_schema=False)
async def fetch(request: Request, day: str = Form(""), staff: StaffUser = Depends(may_finance)) -> Response:
    """Download the day's bill from WeChat Pay now and reconcile it (the daily job does this for yesterday)."""
    provider = request.app.state.payments_provider
    chosen = _day(day)
    if chosen is None or provider.sandbox:
        flash(request, "请选择今天以前的日期" if chosen is None else "沙箱没有交易账单可下载，请导入文件", "error")
        return redirect("/admin/finance/reconciliation")
    try:
        row = await fetch_and_reconcile(runtime_of(request).sessions, provider, day=chosen, run_by=audit_name(staff))
    except (ProviderError, TradeBillInvalid) as exc:
        flash(request, f"没有取到 {chosen} 的交易账单：{exc}（账单次日 10 点后才有）", "error")
        return redirect("/admin/finance/reconciliation")
    flash(request, f"{chosen} 对账完成：一致 {row.matched} 笔，差异 "
                   f"{row.missing_here + row.missing_there + row.amount_differs} 笔")
    return redirect(f"/admin/finance/reconciliation?day={chosen}")


@router.post("/finance/reconciliation/import", include_in_schema=False)
async def import_bill(request: Request, day: str = Form(""), bill: UploadFile = File(...),
                      staff: StaffUser = Depends(may_finance)) -> Response:
    """A trade bill CSV staff downloaded from the merchant platform (or made for the sandbox)."""
    provider = request.app.state.payments_provider
    chosen = _day(day)
    try:
        if chosen is None:
            raise TradeBillInvalid("请选择账单日期（今天以前）")
        parsed = await asyncio.to_thread(lambda data: parse_trade_bill(decode_bill(data)),
                                         await bill.read(MAX_BILL_BYTES + 1))
    except TradeBillInvalid as exc:
        flash(request, f"账单没有导入：{exc}", "error")
        return redirect("/admin/finance/reconciliation")
    async with transaction(runtime_of(request).sessions) as session:
        row, _ = await reconcile(session, provider=provider.name, day=chosen, bill=parsed, source="import",
                                 filename=bill.filename or "", run_by=audit_name(staff))
        summary = (row.matched, row.missing_here + row.missing_there + row.amount_differs)
    flash(request, f"{chosen} 对账完成：一致 {summary[0]} 笔，差异 {summary[1]} 笔")
    return redirect(f"/admin/finance/reconciliation?day={chosen}")
