"""积分: the rules (按时缴费、连续按时缴费), rewards with their cost and stock (bad values beside their field), and
redemptions — a code shown at the desk is looked up and marked used here — exportable."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.exports import xlsx_response
from backoffice.finance.common import may_finance
from backoffice.rendering import flash, redirect, render
from backoffice.security import audit_name, get_scoped_or_404, require_community, runtime_of, scoped
from backoffice.security import visible_communities as communities_of
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.points import messages as text
from workflows.points.models import PointsRule, Redemption, Reward, RuleKind
from workflows.points.service import PointsInputError, RedemptionRefused, mark_used, save_reward, save_rule
from workflows.staff.models import StaffUser

router = APIRouter()
REDEMPTION_LABELS = {"issued": "待领取", "used": "已领取"}
RULE_DEFAULTS = {RuleKind.ON_TIME: {"points": "10", "months": "1"}, RuleKind.STREAK: {"points": "50", "months": "3"}}


async def _context(session: AsyncSession, staff: StaffUser, code: str = "", limit: int = 300) -> dict:
    communities = await communities_of(session, staff)
    rules = {(r.community_id, r.kind.value): r for r in await session.scalars(scoped(select(PointsRule),
                                                                                     PointsRule, staff))}
    rewards = list(await session.scalars(scoped(select(Reward), Reward, staff)
                                         .order_by(Reward.community_id, Reward.cost_points, Reward.id)))
    query = (scoped(select(Redemption, Building.name, Household.room), Redemption, staff)
             .join(Household, Household.id == Redemption.household_id)
             .join(Building, Building.id == Household.building_id).order_by(Redemption.id.desc()).limit(limit))
    if code:
        query = query.where(Redemption.code == code.strip().upper())
    redemptions = [(r, f"{building}{room}") for r, building, room in (await session.execute(query)).all()]
    return {"communities": communities, "names": {c.id: c.name for c in communities}, "rules": rules,
            "rewards": rewards, "redemptions": redemptions, "code": code, "kinds": RuleKind,
            "rule_labels": text.RULE_LABELS, "redemption_labels": REDEMPTION_LABELS,
            "community_options": [(c.id, c.name) for c in communities]}


def _rule_forms(context: dict) -> dict:
    forms = {}
    for community in context["communities"]:
        for kind in RuleKind:
            rule = context["rules"].get((community.id, kind.value))
            values = ({"points": str(rule.points), "months": str(rule.months), "active": "1" if rule.active else ""}
                      if rule else {**RULE_DEFAULTS[kind], "active": ""})
            forms[(community.id, kind.value)] = {"values": values, "errors": {}}
    return forms


async def _page(request: Request, staff: StaffUser, *, code: str = "", rule_error: tuple | None = None,
                reward_values: dict | None = None, reward_errors: dict | None = None, editing: Reward | None = None,
                status_code: int = 200) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        context = await _context(session, staff, code)
    forms = _rule_forms(context)
    if rule_error is not None:
        key, values, field, message = rule_error
        forms[key] = {"values": values, "errors": {field: message}}
    return render(request, "finance/points.html", {
        **context, "rule_forms": forms, "reward_values": reward_values or {"stock": "0"},
        "reward_errors": reward_errors or {}, "editing": editing}, status_code=status_code)


@router.get("/finance/points", include_in_schema=False)
async def points(request: Request, code: str = "", format: str = "",
                 staff: StaffUser = Depends(may_finance)) -> Response:
    if format == "xlsx":
        async with transaction(runtime_of(request).sessions) as session:
            context = await _context(session, staff, code, limit=5000)
        return xlsx_response("积分兑换", ["兑换码", "小区", "房屋", "礼品", "积分", "兑换时间", "状态", "领取时间"],
                             [[r.code, context["names"].get(r.community_id, ""), label, r.reward_name, r.points,
                               r.created_at, REDEMPTION_LABELS.get(r.status, r.status), r.used_at]
                              for r, label in context["redemptions"]])
    return await _page(request, staff, code=code)


@router.post("/finance/points/rules/{community_id}/{kind}", include_in_schema=False)
async def save_points_rule(request: Request, community_id: int, kind: str,
                           staff: StaffUser = Depends(may_finance)) -> Response:
    require_community(staff, community_id)
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("points", "months", "active")}
    try:
        async with transaction(runtime_of(request).sessions) as session:
            await save_rule(session, community_id=community_id, kind=kind, points=values["points"],
                            months=values["months"] or "1", active=bool(values["active"]), actor=audit_name(staff))
    except PointsInputError as exc:
        return await _page(request, staff, rule_error=((community_id, kind), values, exc.field, exc.message),
                           status_code=400)
    flash(request, f"已保存积分规则「{text.RULE_LABELS.get(kind, kind)}」")
    return redirect("/admin/finance/points")


async def _save_reward(request: Request, staff: StaffUser, reward_id: int | None) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("community_id", "name", "cost_points", "stock",
                                                                  "description", "active")}
    editing = None
    try:
        async with transaction(runtime_of(request).sessions) as session:
            if reward_id is not None:
                editing = await get_scoped_or_404(session, Reward, reward_id, staff)
                community_id = editing.community_id
            else:
                community_id = require_community(staff, int(values["community_id"] or 0))
            await save_reward(session, community_id=community_id, name=values["name"],
                              cost_points=values["cost_points"], stock=values["stock"],
                              description=values["description"], active=reward_id is None or bool(values["active"]),
                              reward=editing)
    except PointsInputError as exc:
        if editing is not None:  # the rolled-back transaction expired the row: read it again for the form
            async with runtime_of(request).sessions() as session:
                editing = await session.get(Reward, reward_id)
        return await _page(request, staff, reward_values=values, reward_errors={exc.field: exc.message},
                           editing=editing, status_code=400)
    flash(request, f"已保存礼品「{values['name']}」")
    return redirect("/admin/finance/points")


@router.post("/finance/points/rewards", include_in_schema=False)
async def create_reward(request: Request, staff: StaffUser = Depends(may_finance)) -> Response:
    return await _save_reward(request, staff, None)


@router.get("/finance/points/rewards/{reward_id}", include_in_schema=False)
async def edit_reward(request: Request, reward_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        reward = await get_scoped_or_404(session, Reward, reward_id, staff)
    values = {"name": reward.name, "cost_points": str(reward.cost_points), "stock": str(reward.stock),
              "description": reward.description, "active": "1" if reward.active else ""}
    return await _page(request, staff, reward_values=values, editing=reward)


@router.post("/finance/points/rewards/{reward_id}", include_in_schema=False)
async def update_reward(request: Request, reward_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    return await _save_reward(request, staff, reward_id)


@router.post("/finance/points/redemptions/{redemption_id}/use", include_in_schema=False)
async def use_redemption(request: Request, redemption_id: int, staff: StaffUser = Depends(may_finance)) -> Response:
    try:
        async with transaction(runtime_of(request).sessions) as session:
            redemption = await get_scoped_or_404(session, Redemption, redemption_id, staff)
            await mark_used(session, redemption=redemption, actor=audit_name(staff))
            code = redemption.code
    except RedemptionRefused as exc:
        flash(request, str(exc), level="error")
        return redirect("/admin/finance/points")
    flash(request, f"兑换码 {code} 已领取")
    return redirect("/admin/finance/points")
