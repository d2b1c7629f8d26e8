"""我的积分 and 积分兑换 in chat: the balance and last entries; a reward chosen by number, confirmed, and a code to
show; more than the balance, a reward out of stock and nonsense are refused with the reason."""

from __future__ import annotations

from sqlalchemy import select

from tests.bot.owners import Owner
from tests.workflows.billing.factories import billing_demo
from tests.workflows.payments.factories import Payer
from tests.workflows.points.factories import make_reward, pay_month, points_of, points_rules
from workflows.points.models import Redemption, Reward
from workflows.staff.models import StaffUser


async def _bound(owner: Owner, runtime) -> Payer:
    await owner.bind_demo_flat()
    demo = await billing_demo(runtime)
    async with runtime.sessions() as session:
        staff = {s.username: s for s in await session.scalars(select(StaffUser))}
    return Payer(owner.openid, demo.household_id, demo.community_id, [], 0, staff)


async def test_an_unbound_owner_is_asked_to_bind_first(owner: Owner) -> None:
    assert "绑定房屋" in await owner.say("我的积分")
    assert "绑定房屋" in await owner.say("积分兑换")


async def test_my_points_shows_the_balance_and_the_last_entries(owner: Owner, runtime) -> None:
    payer = await _bound(owner, runtime)
    assert "当前积分 0 分" in (empty := await owner.say("我的积分")) and "还没有积分记录" in empty
    await points_rules(runtime, payer.community_id, on_time=10, streak=50, months=2)
    await pay_month(runtime, payer, "2026-11")
    await pay_month(runtime, payer, "2026-12")
    reply = await owner.say("我的积分")
    assert "1栋1单元101：当前积分 70 分" in reply
    assert "按时缴费 2026-12 +10" in reply and "按时缴费 2026-11 +10" in reply
    assert "连续 2 个月按时缴费（至 2026-12） +50" in reply and "积分兑换" in reply


async def test_redeeming_a_reward_by_number_gives_a_code_and_spends_the_points(owner: Owner, runtime) -> None:
    payer = await _bound(owner, runtime)
    await points_rules(runtime, payer.community_id, on_time=40)
    await pay_month(runtime, payer, "2026-12")
    await make_reward(runtime, payer.community_id, cost=30, stock=3, name="停车优惠券")
    await make_reward(runtime, payer.community_id, cost=35, stock=1, name="洗衣券")
    listing = await owner.say("积分兑换")
    assert "现有 40 分" in listing and "1. 停车优惠券（30 分，剩 3 份）" in listing and "2. 洗衣券" in listing
    confirm = await owner.say("1")
    assert "用 30 分兑换「停车优惠券」" in confirm and "剩余 10 分" in confirm and "回复 1 确认" in confirm
    done = await owner.say("1")
    async with runtime.sessions() as session:
        redemption = await session.scalar(select(Redemption))
        reward = await session.get(Reward, redemption.reward_id)
    assert redemption.code in done and "兑换成功" in done and "剩余积分 10 分" in done
    assert redemption.openid == owner.openid and reward.stock == 2
    assert await points_of(runtime, payer.household_id) == 10
    assert "兑换 停车优惠券 -30" in await owner.say("我的积分")


async def test_more_than_the_balance_out_of_stock_and_nonsense_are_refused_with_the_reason(owner: Owner,
                                                                                         runtime) -> None:
    payer = await _bound(owner, runtime)
    await points_rules(runtime, payer.community_id, on_time=10)
    await pay_month(runtime, payer, "2026-12")
    await make_reward(runtime, payer.community_id, cost=5, stock=0, name="停车优惠券")
    await make_reward(runtime, payer.community_id, cost=200, stock=5, name="洗衣券")
    listing = await owner.say("积分兑换")
    assert "停车优惠券（5 分，已兑完）" in listing
    nonsense = await owner.say("随便")
    assert "例如：1" in nonsense or "序号" in nonsense
    assert "已经兑完了" in await owner.say("1")
    await owner.say("积分兑换")
    refused = await owner.say("2")
    assert "积分不足：您现在有 10 分，兑换「洗衣券」需要 200 分。" in refused
    assert await points_of(runtime, payer.household_id) == 10
    async with runtime.sessions() as session:
        assert await session.scalar(select(Redemption)) is None


async def test_no_rewards_yet_is_said_plainly(owner: Owner, runtime) -> None:
    await _bound(owner, runtime)
    assert "暂时没有可兑换的礼品" in await owner.say("积分兑换")


async def test_help_lists_the_points_dialogs_and_promises_nothing_already_open(owner: Owner) -> None:
    listing = await owner.say("帮助")
    assert "我的积分：回复“我的积分”" in listing and "积分兑换：回复“积分兑换”" in listing
    assert "缴费：回复“缴费”" in listing and "即将开通" not in listing  # 缴费 and 访客 have their dialogs now
