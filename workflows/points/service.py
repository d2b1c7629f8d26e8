"""积分: the only code that writes points rows. Rules and rewards staff configure, awards made inside the settling
transaction (unique per household, rule and billing month, so a duplicate payment notification awards nothing),
balances (the sum of a household's ledger rows) and redemptions checked under row locks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy import text as text_sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus
from workflows.bindings.models import WechatBinding
from workflows.clock import local, utcnow
from workflows.community.models import Household
from workflows.points import messages as text
from workflows.points.models import PointsEntry, PointsRule, Redemption, Reward, RuleKind

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud at the front desk
STREAK_LOOKBACK = 60  # billing months looked at when counting a streak
# Plain SQL on purpose: the ORM's update() would also bump updated_at (an onupdate default); this changes nothing.
LOCK_HOUSEHOLD = text_sql("UPDATE households SET id = id WHERE id = :id")


class PointsInputError(ValueError):
    """A staff form value that cannot be saved; `field` names where the reason is shown."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class RedemptionRefused(ValueError):
    """An owner's redemption that cannot happen (not enough points, out of stock, …); the message says why."""


def _whole(value: object, low: int, high: int, field: str, message: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise PointsInputError(field, message) from None
    if not low <= number <= high:
        raise PointsInputError(field, message)
    return number


# --- rules and rewards (staff) -----------------------------------------------------------------------------------
async def save_rule(session: AsyncSession, *, community_id: int, kind: str, points: object, months: object = 1,
                    active: bool = True, actor: str = "") -> PointsRule:
    """Create or change the community's rule of this kind (one per kind)."""
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise PointsInputError("kind", text.BAD_KIND) from None
    amount = _whole(points, 1, 10_000, "points", text.BAD_POINTS)
    length = 1 if rule_kind == RuleKind.ON_TIME else _whole(months, 2, 24, "months", text.BAD_MONTHS)
    rule = await session.scalar(select(PointsRule).where(PointsRule.community_id == community_id,
                                                         PointsRule.kind == rule_kind))
    if rule is None:
        rule = PointsRule(community_id=community_id, kind=rule_kind)
        session.add(rule)
    rule.points, rule.months, rule.active, rule.updated_by = amount, length, active, actor
    await session.flush()
    return rule


async def save_reward(session: AsyncSession, *, community_id: int, name: str, cost_points: object, stock: object,
                      description: str = "", active: bool = True, reward: Reward | None = None) -> Reward:
    """A new reward, or changes to `reward`; a negative or absurd price or stock is refused with its field."""
    name = name.strip()
    if not name or len(name) > 40:
        raise PointsInputError("name", text.BAD_NAME)
    cost = _whole(cost_points, 1, 100_000, "cost_points", text.BAD_COST)
    left = _whole(stock, 0, 100_000, "stock", text.BAD_STOCK)
    if reward is None:
        reward = Reward(community_id=community_id)
        session.add(reward)
    reward.name, reward.cost_points, reward.stock = name, cost, left
    reward.description, reward.active = description.strip()[:200], active
    await session.flush()
    return reward


# --- awards (inside the settling transaction) --------------------------------------------------------------------
def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


async def period_paid_on_time(session: AsyncSession, *, household_id: int, period: str) -> bool:
    """Every bill of the household for that billing month paid, each on or before its due date (local day)."""
    rows = (await session.execute(select(Bill.status, Bill.due_date, Bill.paid_at).where(
        Bill.household_id == household_id, Bill.period == period, Bill.status != BillStatus.CANCELLED))).all()
    return bool(rows) and all(status == BillStatus.PAID and paid_at is not None and local(paid_at).date() <= due
                              for status, due, paid_at in rows)


async def _streak(session: AsyncSession, household_id: int, period: str) -> int:
    """How many billing months in a row, ending with `period`, were paid on time (`period` itself is)."""
    length, current = 1, previous_period(period)
    while length < STREAK_LOOKBACK and await period_paid_on_time(session, household_id=household_id, period=current):
        length, current = length + 1, previous_period(current)
    return length


async def _add_award(session: AsyncSession, entry: PointsEntry) -> bool:
    """Insert an award once: the unique (household, rule, period) turns a second attempt into nothing."""
    exists = await session.scalar(select(PointsEntry.id).where(
        PointsEntry.household_id == entry.household_id, PointsEntry.rule_id == entry.rule_id,
        PointsEntry.period == entry.period))
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class Award:
    household_id: int
    points: int
    reason: str


async def award_for_payment(session: AsyncSession, *, community_id: int, bill_ids: list[int],
                            order_id: int | None = None, now: datetime | None = None) -> list[Award]:
    """Points for the billing months these just-paid bills complete on time; each (household, rule, month) once."""
    rules = {rule.kind: rule for rule in await session.scalars(select(PointsRule).where(
        PointsRule.community_id == community_id, PointsRule.active.is_(True)))}
    if not rules:
        return []
    now = now or utcnow()
    months = sorted(set((await session.execute(select(Bill.household_id, Bill.period).where(
        Bill.id.in_(bill_ids)))).all()))
    # Two orders paying one household's month at once: the later waits here for the earlier to commit, then sees
    # its bills paid, so the month is awarded once and not missed by both. Sorted: no deadlock between households.
    for household_id in sorted({household_id for household_id, _ in months}):
        await session.execute(LOCK_HOUSEHOLD, {"id": household_id})
    awards: list[Award] = []
    for household_id, period in months:
        if not await period_paid_on_time(session, household_id=household_id, period=period):
            continue
        due: list[tuple[PointsRule, str]] = []
        if RuleKind.ON_TIME in rules:
            due.append((rules[RuleKind.ON_TIME], text.ON_TIME_REASON.format(period=period)))
        streak = rules.get(RuleKind.STREAK)
        if streak is not None and (await _streak(session, household_id, period)) % streak.months == 0:
            due.append((streak, text.STREAK_REASON.format(months=streak.months, period=period)))
        for rule, reason in due:
            entry = PointsEntry(community_id=community_id, household_id=household_id, rule_id=rule.id, period=period,
                                points=rule.points, reason=reason, order_id=order_id, created_at=now)
            if await _add_award(session, entry):
                awards.append(Award(household_id, rule.points, reason))
    return awards


# --- balances and redemptions (owners) ---------------------------------------------------------------------------
async def balance(session: AsyncSession, *, household_id: int) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                                    .where(PointsEntry.household_id == household_id)) or 0)


@dataclass(frozen=True)
class EntryView:
    """One line of a household's points (积分记录)."""

    created_at: datetime
    reason: str
    points: int


@dataclass(frozen=True)
class RewardView:
    """A reward as owners see it in chat (积分兑换)."""

    id: int
    name: str
    cost_points: int
    stock: int
    active: bool

    @classmethod
    def of(cls, reward: Reward) -> RewardView:
        return cls(id=reward.id, name=reward.name, cost_points=reward.cost_points, stock=reward.stock,
                   active=reward.active)


@dataclass(frozen=True)
class RedemptionReceipt:
    code: str  # DH-XXXXXX, shown at the property office
    reward_name: str
    balance_left: int


async def recent_entries(session: AsyncSession, *, household_id: int, limit: int = 5) -> list[EntryView]:
    return [EntryView(created_at=e.created_at, reason=e.reason, points=e.points)
            for e in await session.scalars(select(PointsEntry).where(PointsEntry.household_id == household_id)
                                           .order_by(PointsEntry.id.desc()).limit(limit))]


async def rewards_on_offer(session: AsyncSession, *, community_id: int) -> list[RewardView]:
    return [RewardView.of(r) for r in await session.scalars(select(Reward).where(
        Reward.community_id == community_id, Reward.active.is_(True)).order_by(Reward.cost_points, Reward.id))]


async def reward_view(session: AsyncSession, *, reward_id: int) -> RewardView | None:
    reward = await session.get(Reward, reward_id)
    return RewardView.of(reward) if reward else None


def _code() -> str:
    return "DH-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


async def redeem(session: AsyncSession, *, openid: str, household_id: int, reward_id: int,
                 now: datetime | None = None) -> Redemption:
    """Spend a household's points on a reward. Everything is checked under the household's lock — a no-op UPDATE
    of its row: a row lock on PostgreSQL, the write lock on SQLite (whose transactions begin at the first write) —
    so two redemptions at once cannot both spend the same points; the stock is taken with a conditional UPDATE.
    A refusal raises RedemptionRefused before anything is changed."""
    now = now or utcnow()
    bound = await session.scalar(select(WechatBinding.id).where(WechatBinding.openid == openid,
                                                                WechatBinding.household_id == household_id))
    if bound is None:
        raise RedemptionRefused(text.NOT_YOURS)
    await session.execute(LOCK_HOUSEHOLD, {"id": household_id})
    community_id = await session.scalar(select(Household.community_id).where(Household.id == household_id))
    reward = await session.scalar(select(Reward).where(Reward.id == reward_id)
                                  .execution_options(populate_existing=True))
    if reward is None or not reward.active or reward.community_id != community_id:
        raise RedemptionRefused(text.REWARD_GONE)
    if reward.stock <= 0:
        raise RedemptionRefused(text.OUT_OF_STOCK.format(reward=reward.name))
    have = await balance(session, household_id=household_id)
    if have < reward.cost_points:
        raise RedemptionRefused(text.NOT_ENOUGH.format(balance=have, reward=reward.name, cost=reward.cost_points))
    taken = await session.execute(update(Reward).where(Reward.id == reward.id, Reward.stock > 0)
                                  .values(stock=Reward.stock - 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # another household took the last one meanwhile
        raise RedemptionRefused(text.OUT_OF_STOCK.format(reward=reward.name))
    for _ in range(5):
        redemption = Redemption(community_id=reward.community_id, household_id=household_id, reward_id=reward.id,
                                openid=openid, reward_name=reward.name, points=reward.cost_points, code=_code(),
                                created_at=now)
        try:
            async with session.begin_nested():
                session.add(redemption)
                await session.flush()
            break
        except IntegrityError:  # the same random code twice: draw again
            continue
    else:  # pragma: no cover - 31**6 codes
        raise RuntimeError("could not draw a free redemption code")
    session.add(PointsEntry(community_id=reward.community_id, household_id=household_id, points=-reward.cost_points,
                            reason=text.REDEEM_REASON.format(reward=reward.name), redemption_id=redemption.id,
                            period=redemption.code, created_at=now))
    await session.flush()
    return redemption


async def redeem_for_owner(session: AsyncSession, *, openid: str, household_id: int,
                           reward_id: int) -> RedemptionReceipt:
    """`redeem`, and what the owner is told: the code and the balance left."""
    redemption = await redeem(session, openid=openid, household_id=household_id, reward_id=reward_id)
    return RedemptionReceipt(code=redemption.code, reward_name=redemption.reward_name,
                             balance_left=await balance(session, household_id=household_id))


async def mark_used(session: AsyncSession, *, redemption: Redemption, actor: str) -> None:
    """Staff hand the reward over: the code is used once."""
    if redemption.status == "used":
        raise RedemptionRefused(text.ALREADY_USED.format(when=local(redemption.used_at).strftime("%m-%d %H:%M")
                                                         if redemption.used_at else ""))
    redemption.status, redemption.used_at, redemption.used_by = "used", utcnow(), actor
