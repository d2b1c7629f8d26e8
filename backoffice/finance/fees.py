"""收费项目: fee items and prices per community; a bad value re-renders the form with the reason beside its field."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.exports import xlsx_response
from backoffice.finance.common import may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import actor_of, get_scoped_or_404, require_community, runtime_of, scoped
from backoffice.security import visible_communities as communities_of
from workflows.billing import messages as text
from workflows.billing.models import FeeItem
from workflows.billing.service import BillingInputError, FeeItemInput, create_fee_item, update_fee_item
from workflows.db import transaction
from workflows.staff.models import StaffUser

router = APIRouter()
FIELDS = ("name", "kind", "unit_price", "unit", "cycle", "mode", "due_day", "effective_from", "effective_to",
          "late_fee_daily_rate", "late_fee_grace_days", "late_fee_cap_rate")


async def _context(session: AsyncSession, staff: StaffUser) -> dict:
    items = list(await session.scalars(scoped(select(FeeItem), FeeItem, staff)
                                       .order_by(FeeItem.community_id, FeeItem.name, FeeItem.effective_from)))
    communities = await communities_of(session, staff)
    return {"items": items, "communities": [(c.id, c.name) for c in communities],
            "names": {c.id: c.name for c in communities}, "kinds": list(text.KIND_LABELS.items()),
            "cycles": list(text.CYCLE_LABELS.items()), "modes": list(text.MODE_LABELS.items()),
            "kind_labels": text.KIND_LABELS, "cycle_labels": text.CYCLE_LABELS, "mode_labels": text.MODE_LABELS}


def _date(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BillingInputError(field, "请填写日期，例如 2027-01-01") from None


async def _read_form(request: Request) -> tuple[dict[str, str], FeeItemInput]:
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in (*FIELDS, "community_id")}
    start = _date(values["effective_from"], "effective_from")
    if start is None:
        raise _Invalid(values, BillingInputError("effective_from", "请填写生效日期"))
    data = FeeItemInput(name=values["name"], kind=values["kind"], unit_price=values["unit_price"],
                        unit=values["unit"], cycle=values["cycle"] or "monthly", mode=values["mode"] or "prepaid",
                        due_day=values["due_day"] or "15", effective_from=start,
                        effective_to=_date(values["effective_to"], "effective_to"),
                        late_fee_daily_rate=values["late_fee_daily_rate"] or "0",
                        late_fee_grace_days=values["late_fee_grace_days"] or "0",
                        late_fee_cap_rate=values["late_fee_cap_rate"] or "0")
    return values, data


class _Invalid(Exception):
    def __init__(self, values: dict[str, str], error: BillingInputError) -> None:
        self.values, self.error = values, error


@router.get("/finance/fee-items", include_in_schema=False)
async def fee_items(request: Request, format: str = "", staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        context = await _context(session, staff)
    if format == "xlsx":
        return xlsx_response("收费项目", ["小区", "名称", "方式", "单价（元）", "单位", "周期", "预付/后付", "截止日",
                                       "生效", "停用", "滞纳金日费率", "宽限天数", "滞纳金上限比例"],
                             [[context["names"].get(i.community_id, ""), i.name, text.KIND_LABELS[i.kind.value],
                               i.unit_price, i.unit, text.CYCLE_LABELS[i.cycle.value], text.MODE_LABELS[i.mode.value],
                               i.due_day, i.effective_from, i.effective_to, i.late_fee_daily_rate,
                               i.late_fee_grace_days, i.late_fee_cap_rate] for i in context["items"]])
    defaults = {"cycle": "monthly", "mode": "prepaid", "due_day": "15", "effective_from": date.today().isoformat()}
    return render(request, "finance/fee_items.html", {**context, "values": defaults, "errors": {}, "editing": None})


async def _save(request: Request, staff: StaffUser, item_id: int | None) -> Response:
    sessions = runtime_of(request).sessions
    values: dict[str, str] = {}
    try:
        try:
            values, data = await _read_form(request)
        except _Invalid as invalid:
            values = invalid.values
            raise invalid.error from None
        async with transaction(sessions) as session:
            if item_id is None:
                community_id = require_community(staff, int(values["community_id"] or 0))
                item = await create_fee_item(session, community_id=community_id, data=data, actor=actor_of(staff))
            else:
                item = await get_scoped_or_404(session, FeeItem, item_id, staff)
                await update_fee_item(session, item=item, data=data, actor=actor_of(staff))
            name = item.name
    except BillingInputError as exc:
        async with transaction(sessions) as session:
            context = await _context(session, staff)
            editing = await get_scoped_or_404(session, FeeItem, item_id, staff) if item_id else None
        return render(request, "finance/fee_items.html", {**context, "values": values, "editing": editing,
                                                          "errors": {exc.field: exc.message}}, status_code=400)
    flash(request, f"已保存收费项目「{name}」")
    return redirect("/admin/finance/fee-items")


@router.post("/finance/fee-items", include_in_schema=False)
async def fee_item_create(request: Request, staff: StaffUser = Depends(may_finance)) -> Response:
    return await _save(request, staff, None)


@router.get("/finance/fee-items/{item_id}", include_in_schema=False)
async def fee_item_edit(request: Request, item_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        item = await get_scoped_or_404(session, FeeItem, item_id, staff)
        context = await _context(session, staff)
    values = {name: "" if getattr(item, name) is None else str(getattr(item, name)) for name in FIELDS}
    values.update(kind=item.kind.value, cycle=item.cycle.value, mode=item.mode.value,
                  community_id=str(item.community_id))
    return render(request, "finance/fee_items.html", {**context, "values": values, "errors": {}, "editing": item})


@router.post("/finance/fee-items/{item_id}", include_in_schema=False)
async def fee_item_update(request: Request, item_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    return await _save(request, staff, item_id)
