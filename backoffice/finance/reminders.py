"""催缴: each community's reminder settings (间隔天数、免打扰时段) and who was reminded when, exportable."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.exports import xlsx_response
from backoffice.finance.common import may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import audit_name, require_community, runtime_of, scoped
from backoffice.security import visible_communities as communities_of
from workflows.billing.pricing import yuan
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.reminders.models import (
    DEFAULT_INTERVAL_DAYS,
    DEFAULT_QUIET_HOURS,
    DEFAULT_TIMEZONE,
    BillReminder,
    ReminderPolicy,
)
from workflows.reminders.service import ReminderInputError, save_policy
from workflows.staff.models import StaffUser

router = APIRouter()
STATUS_LABELS = {"sent": "已发送", "cancelled": "已缴费，未发送"}


async def _context(session: AsyncSession, staff: StaffUser, limit: int) -> dict:
    communities = await communities_of(session, staff)
    policies = {p.community_id: p for p in await session.scalars(select(ReminderPolicy).where(
        ReminderPolicy.community_id.in_([c.id for c in communities])))}
    rows = (await session.execute(scoped(select(BillReminder, Building.name, Household.room), BillReminder, staff)
                                  .join(Household, Household.id == BillReminder.household_id)
                                  .join(Building, Building.id == Household.building_id)
                                  .order_by(BillReminder.id.desc()).limit(limit))).all()
    return {"communities": communities, "policies": policies, "names": {c.id: c.name for c in communities},
            "rows": [(r, f"{building}{room}") for r, building, room in rows]}


def _values(policy: ReminderPolicy | None) -> dict[str, str]:
    return {"enabled": "1" if policy is None or policy.enabled else "",
            "interval_days": str(policy.interval_days if policy else DEFAULT_INTERVAL_DAYS),
            "quiet_hours": policy.quiet_hours if policy else DEFAULT_QUIET_HOURS,
            "timezone": policy.timezone if policy else DEFAULT_TIMEZONE}


@router.get("/finance/reminders", include_in_schema=False)
async def reminders(request: Request, format: str = "", staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        context = await _context(session, staff, 5000 if format == "xlsx" else 300)
    if format == "xlsx":
        return xlsx_response("催缴记录", ["小区", "房屋", "提醒时间", "欠费笔数", "欠费（元）", "提醒对象", "状态"],
                             [[context["names"].get(r.community_id, ""), label, r.created_at, r.bills,
                               yuan(r.owed_fen), "、".join(r.recipients), STATUS_LABELS.get(r.status, r.status)]
                              for r, label in context["rows"]])
    forms = {c.id: {"values": _values(context["policies"].get(c.id)), "errors": {}} for c in context["communities"]}
    return render(request, "finance/reminders.html", {**context, "forms": forms, "yuan": yuan,
                                                      "status_labels": STATUS_LABELS})


@router.post("/finance/reminders/{community_id}", include_in_schema=False)
async def save_reminder_policy(request: Request, community_id: int,
                               staff: StaffUser = Depends(may_finance)) -> Response:
    require_community(staff, community_id)
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("enabled", "interval_days", "quiet_hours",
                                                                  "timezone")}
    try:
        async with transaction(runtime_of(request).sessions) as session:
            await save_policy(session, community_id=community_id, enabled=bool(values["enabled"]),
                              interval_days=values["interval_days"], quiet_hours=values["quiet_hours"],
                              timezone=values["timezone"] or DEFAULT_TIMEZONE, actor=audit_name(staff))
    except ReminderInputError as exc:
        async with transaction(runtime_of(request).sessions) as session:
            context = await _context(session, staff, 300)
        forms = {c.id: {"values": _values(context["policies"].get(c.id)), "errors": {}}
                 for c in context["communities"]}
        forms[community_id] = {"values": values, "errors": {exc.field: exc.message}}
        return render(request, "finance/reminders.html", {**context, "forms": forms, "yuan": yuan,
                                                          "status_labels": STATUS_LABELS}, status_code=400)
    flash(request, "已保存催缴设置")
    return redirect("/admin/finance/reminders")
