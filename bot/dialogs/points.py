"""我的积分: each bound household's balance and last entries. 积分兑换: choose a reward by number, confirm, and get
a redemption code to show at the property office — the balance and stock are checked again under a row lock by
workflows.points.service.redeem, which has the last word."""

from __future__ import annotations

from bot.context import BoundHousehold, DialogContext
from bot.dialogs import points_texts as t
from bot.dialogs.spec import Abort, Choice, Dialog, Slot, examples_of
from workflows.clock import local
from workflows.db import transaction
from workflows.points import messages as points_messages
from workflows.points.service import (
    RedemptionRefused,
    RewardView,
    balance,
    recent_entries,
    redeem_for_owner,
    reward_view,
    rewards_on_offer,
)


async def show_points(ctx: DialogContext) -> str:
    parts = []
    async with ctx.runtime.sessions() as session:
        for home in ctx.owner.households:
            have = await balance(session, household_id=home.household_id)
            entries = await recent_entries(session, household_id=home.household_id)
            lines = [t.BALANCE.format(household=home.label, balance=have)]
            if entries:
                lines.append(t.RECENT)
                lines += [t.ENTRY.format(when=local(e.created_at).strftime("%m-%d"), reason=e.reason, points=e.points)
                          for e in entries]
            else:
                lines.append(t.NO_ENTRIES)
            parts.append("\n".join(lines))
    return "\n\n".join([*parts, t.POINTS_FOOTER])


POINTS = Dialog(
    name="points", title="我的积分", triggers=t.POINTS_TRIGGERS, requires_binding=True, slots=(),
    submit=show_points, description="我的积分：查看积分余额和最近的积分记录（按时缴费得积分）",
    examples=examples_of("points"), lookup=True,
    keywords=r"积分(?!.{0,4}(兑|换))|几分了|多少分",
)


def _home(ctx: DialogContext) -> BoundHousehold:
    wanted = ctx.values.get("household")
    return next((h for h in ctx.owner.households if h.household_id == wanted), ctx.owner.households[0])


async def household_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(h.household_id, f"{h.community_name} {h.label}") for h in ctx.owner.households]


def one_household(ctx: DialogContext) -> bool:
    return len(ctx.owner.households) == 1


async def first_household(ctx: DialogContext) -> int:
    return ctx.owner.households[0].household_id


async def _rewards(ctx: DialogContext) -> list[RewardView]:
    async with ctx.runtime.sessions() as session:
        return await rewards_on_offer(session, community_id=_home(ctx).community_id)


async def reward_prompt(ctx: DialogContext) -> str:
    home = _home(ctx)
    async with ctx.runtime.sessions() as session:
        have = await balance(session, household_id=home.household_id)
    return t.REDEEM_REWARD.format(household=home.label, balance=have)


async def reward_choices(ctx: DialogContext) -> list[Choice]:
    rewards = await _rewards(ctx)
    if not rewards:
        raise Abort(t.NO_REWARDS)
    return [Choice(r.id, (t.REWARD_LABEL if r.stock > 0 else t.REWARD_SOLD_OUT).format(
        name=r.name, cost=r.cost_points, stock=r.stock), aliases=(r.name,)) for r in rewards]


async def confirm_redeem(ctx: DialogContext) -> str:
    """The cost and what is left; a reward out of stock or beyond the balance is refused here already."""
    home = _home(ctx)
    async with ctx.runtime.sessions() as session:
        reward = await reward_view(session, reward_id=ctx.values["reward"])
        have = await balance(session, household_id=home.household_id)
    if reward is None or not reward.active:
        raise Abort(t.NO_REWARDS)
    if reward.stock <= 0:
        raise Abort(points_messages.OUT_OF_STOCK.format(reward=reward.name))
    if have < reward.cost_points:
        raise Abort(points_messages.NOT_ENOUGH.format(balance=have, reward=reward.name, cost=reward.cost_points))
    return t.REDEEM_CONFIRM.format(cost=reward.cost_points, reward=reward.name, household=home.label,
                                   left=have - reward.cost_points)


async def submit_redeem(ctx: DialogContext) -> str:
    home = _home(ctx)
    try:
        async with transaction(ctx.runtime.sessions) as session:
            receipt = await redeem_for_owner(session, openid=ctx.openid, household_id=home.household_id,
                                             reward_id=ctx.values["reward"])
    except RedemptionRefused as exc:
        return str(exc)
    return t.REDEEMED.format(reward=receipt.reward_name, code=receipt.code, household=home.label,
                             left=receipt.balance_left)


REDEEM = Dialog(
    name="redeem", title="积分兑换", triggers=t.REDEEM_TRIGGERS, requires_binding=True,
    description="积分兑换：用积分兑换停车优惠券、洗衣券等礼品，得到兑换码",
    examples=examples_of("redeem"), supersedes=("points",),
    keywords=r"兑换|积分.{0,4}换|换.{0,6}(券|礼品|礼物)",
    slots=(
        Slot("household", t.REDEEM_HOUSEHOLD, choices=household_choices, skip_if=one_household,
             default=first_household, label="房屋"),
        Slot("reward", reward_prompt, choices=reward_choices, label="礼品", example="1"),
    ),
    confirm=confirm_redeem, submit=submit_redeem,
)

POINTS_DIALOGS = (POINTS, REDEEM)
