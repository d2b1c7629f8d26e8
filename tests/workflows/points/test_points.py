"""积分: awards inside the settling transaction (on time; three months in a row), once per household, rule and
month whatever the notifications do; balances as the ledger's sum; redemptions checked under a row lock; bad input
refused with the reason (SQLite and PostgreSQL)."""

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.workflows.payments.factories import NOTIFY_URL, bound_payer, sandbox
from tests.workflows.points.factories import copy_month, make_reward, pay_month, points_of, points_rules
from workflows.billing.models import Bill, BillStatus
from workflows.clock import SHANGHAI, local, utcnow
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage
from workflows.payments.flows import start_payment
from workflows.payments.models import PaymentMethod
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import owner_unpaid_bills, record_offline_payment
from workflows.points.models import PointsEntry, Redemption, Reward
from workflows.points.service import (
    PointsInputError,
    RedemptionRefused,
    mark_used,
    redeem,
    save_reward,
    save_rule,
)
from workflows.repairs.service import staff_actor


async def test_paying_a_month_on_time_awards_once_even_when_the_notification_comes_twice(any_runtime):
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id)
    provider = sandbox(any_runtime)
    async with transaction(any_runtime.sessions) as session:  # December due in three days, whatever day this runs
        await session.execute(update(Bill).where(Bill.household_id == payer.household_id, Bill.period == "2026-12")
                              .values(due_date=local(utcnow()).date() + timedelta(days=3)))
    async with any_runtime.sessions() as session:  # December's bills, paid through the sandbox before their due date
        bills = [b for b in await owner_unpaid_bills(session, openid=payer.openid) if b.period == "2026-12"]
    link = payer.link([b.id for b in bills], total_fen=sum(b.total_fen for b in bills))
    started = await start_payment(any_runtime.sessions, provider, link=link, notify_url=NOTIFY_URL,
                                  description="物业费")
    headers, body = provider.pay(started.out_trade_no)
    first = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
    again = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
    other = await handle_payment_notification(any_runtime.sessions, provider, *provider.notification_for(
        started.out_trade_no, amount_fen=link.total_fen, notification_id="another-id"))
    assert first.answer == Answer.SETTLED and again.answer == other.answer == Answer.NOTHING_CHANGED
    async with any_runtime.sessions() as session:
        entries = list(await session.scalars(select(PointsEntry).where(
            PointsEntry.household_id == payer.household_id)))
        told = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.like("points:%")))
    assert [(e.points, e.period, e.reason) for e in entries] == [(10, "2026-12", "按时缴费 2026-12")]
    assert await points_of(any_runtime, payer.household_id) == 10
    assert told.payload["openid"] == payer.openid and "+10" in told.payload["text"]


async def test_a_month_paid_late_or_only_in_part_awards_nothing(runtime):
    payer = await bound_payer(runtime)
    await points_rules(runtime, payer.community_id)
    await pay_month(runtime, payer, "2026-11", on_time=False)
    async with transaction(runtime.sessions) as session:
        one = await session.scalar(select(Bill).where(Bill.household_id == payer.household_id,
                                                      Bill.period == "2026-12", Bill.status == BillStatus.UNPAID))
        await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=[one.id],
                                     method=PaymentMethod.CASH, actor=staff_actor(payer.staff["manager"]),
                                     paid_at=datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
    assert await points_of(runtime, payer.household_id) == 0


async def test_three_months_in_a_row_on_time_award_the_streak_once(any_runtime):
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id, on_time=10, streak=50, months=3)
    await copy_month(any_runtime, payer.household_id, "2026-12", "2027-01")
    await copy_month(any_runtime, payer.household_id, "2026-12", "2027-02")
    for period in ("2026-11", "2026-12", "2027-01"):
        await pay_month(any_runtime, payer, period)
    assert await points_of(any_runtime, payer.household_id) == 3 * 10 + 50
    await pay_month(any_runtime, payer, "2027-02")  # the fourth month starts a new run of three
    async with any_runtime.sessions() as session:
        reasons = list(await session.scalars(select(PointsEntry.reason).where(
            PointsEntry.household_id == payer.household_id).order_by(PointsEntry.id)))
    assert reasons.count("连续 3 个月按时缴费（至 2027-01）") == 1 and len(reasons) == 5
    assert await points_of(any_runtime, payer.household_id) == 4 * 10 + 50


async def test_no_rules_no_points(runtime):
    payer = await bound_payer(runtime)
    await pay_month(runtime, payer, "2026-12")
    assert await points_of(runtime, payer.household_id) == 0


async def test_redeeming_spends_points_takes_stock_and_gives_a_code_used_once(any_runtime):
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id, on_time=40)
    await pay_month(any_runtime, payer, "2026-12")
    reward_id = await make_reward(any_runtime, payer.community_id, cost=30, stock=2)
    async with transaction(any_runtime.sessions) as session:
        redemption = await redeem(session, openid=payer.openid, household_id=payer.household_id,
                                  reward_id=reward_id)
    assert redemption.code.startswith("DH-") and len(redemption.code) == 9
    assert await points_of(any_runtime, payer.household_id) == 10
    async with transaction(any_runtime.sessions) as session:
        assert (await session.get(Reward, reward_id)).stock == 1
        entries = list(await session.scalars(select(PointsEntry.points).where(
            PointsEntry.household_id == payer.household_id).order_by(PointsEntry.id)))
        assert entries == [40, -30]  # append-only: the award stays, the redemption is a row of its own
        found = await session.scalar(select(Redemption).where(Redemption.code == redemption.code))
        await mark_used(session, redemption=found, actor="staff:1")
    async with transaction(any_runtime.sessions) as session:
        found = await session.scalar(select(Redemption).where(Redemption.code == redemption.code))
        with pytest.raises(RedemptionRefused, match="已经使用过"):
            await mark_used(session, redemption=found, actor="staff:1")


async def test_redeeming_more_than_the_balance_or_out_of_stock_or_not_ones_own_is_refused(any_runtime):
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id, on_time=10)
    await pay_month(any_runtime, payer, "2026-12")
    dear = await make_reward(any_runtime, payer.community_id, cost=500, stock=5, name="洗衣券")
    gone = await make_reward(any_runtime, payer.community_id, cost=5, stock=0, name="停车优惠券")
    other = await make_reward(any_runtime, payer.community_id, cost=1, stock=1, name="纪念品")
    cases = [(dear, payer.openid, "积分不足：您现在有 10 分，兑换「洗衣券」需要 500 分。"),
             (gone, payer.openid, "「停车优惠券」已经兑完了"),
             (other, "o-someone-else", "没有绑定在您的微信上")]  # another owner's household
    for reward_id, openid, reason in cases:
        async with transaction(any_runtime.sessions) as session:
            with pytest.raises(RedemptionRefused, match=reason):
                await redeem(session, openid=openid, household_id=payer.household_id, reward_id=reward_id)
    assert await points_of(any_runtime, payer.household_id) == 10
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(Redemption.id))) == 0
        assert (await session.get(Reward, dear)).stock == 5


async def test_two_redemptions_at_once_cannot_spend_the_same_points(any_runtime):
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id, on_time=30)
    await pay_month(any_runtime, payer, "2026-12")
    reward_id = await make_reward(any_runtime, payer.community_id, cost=30, stock=10)

    async def attempt():
        try:
            async with transaction(any_runtime.sessions) as session:
                await redeem(session, openid=payer.openid, household_id=payer.household_id, reward_id=reward_id)
            return "ok"
        except Exception as exc:  # noqa: BLE001 - refused, or SQLite's busy writer
            return type(exc).__name__

    outcomes = await asyncio.gather(attempt(), attempt(), attempt())
    assert outcomes.count("ok") == 1
    assert await points_of(any_runtime, payer.household_id) == 0
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(Redemption.id))) == 1
        assert (await session.get(Reward, reward_id)).stock == 9


@pytest.mark.parametrize(("field", "values"), [
    ("cost_points", {"cost_points": "-10"}), ("cost_points", {"cost_points": "0"}),
    ("cost_points", {"cost_points": "abc"}), ("cost_points", {"cost_points": "12.5"}),
    ("stock", {"stock": "-1"}), ("name", {"name": " "}),
])
async def test_a_negative_or_bad_reward_is_refused_with_its_field(runtime, field, values):
    payer = await bound_payer(runtime)
    data = {"name": "洗衣券", "cost_points": "20", "stock": "3", **values}
    async with transaction(runtime.sessions) as session:
        with pytest.raises(PointsInputError) as refused:
            await save_reward(session, community_id=payer.community_id, **data)
    assert refused.value.field == field


@pytest.mark.parametrize(("kind", "points", "months", "field"), [
    ("on_time", "-5", "1", "points"), ("on_time", "0", "1", "points"), ("streak", "50", "1", "months"),
    ("bonus", "5", "1", "kind"),
])
async def test_bad_rules_are_refused_with_their_field(runtime, kind, points, months, field):
    payer = await bound_payer(runtime)
    async with transaction(runtime.sessions) as session:
        with pytest.raises(PointsInputError) as refused:
            await save_rule(session, community_id=payer.community_id, kind=kind, points=points, months=months)
    assert refused.value.field == field


async def test_two_orders_paying_one_month_at_once_award_it_once(any_runtime):
    """Two WeChat Pay notifications for two orders of one household's month, settled at the same moment: neither
    may miss the award because the other's bills were not yet committed."""
    payer = await bound_payer(any_runtime)
    await points_rules(any_runtime, payer.community_id, on_time=10)
    provider = sandbox(any_runtime)
    async with transaction(any_runtime.sessions) as session:  # December due in three days, whatever day this runs
        await session.execute(update(Bill).where(Bill.household_id == payer.household_id, Bill.period == "2026-12")
                              .values(due_date=local(utcnow()).date() + timedelta(days=3)))
    async with any_runtime.sessions() as session:
        bills = [b for b in await owner_unpaid_bills(session, openid=payer.openid) if b.period == "2026-12"]
    halves = [bills[: len(bills) // 2], bills[len(bills) // 2:]]
    notifications = []
    for half in halves:
        link = payer.link([b.id for b in half], total_fen=sum(b.total_fen for b in half))
        started = await start_payment(any_runtime.sessions, provider, link=link, notify_url=NOTIFY_URL,
                                      description="物业费")
        notifications.append(provider.pay(started.out_trade_no))

    async def deliver(headers, body):
        for _ in range(40):  # SQLite may refuse a second writer outright; WeChat Pay would notify again
            try:
                result = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
                if result.answer == Answer.SETTLED:
                    return
            except Exception:  # noqa: BLE001 - a busy SQLite writer
                pass
            await asyncio.sleep(0.05)

    await asyncio.gather(*(deliver(headers, body) for headers, body in notifications))
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(Bill.id)).where(
            Bill.household_id == payer.household_id, Bill.period == "2026-12",
            Bill.status == BillStatus.UNPAID)) == 0
    assert await points_of(any_runtime, payer.household_id) == 10
