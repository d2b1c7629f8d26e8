"""收费 › 催缴 and 积分 pages: reminder settings per community with bad values beside their field, who was reminded
when (and xlsx); points rules and rewards (a negative price refused beside its field), redemptions looked up by
code, handed over once, exported."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.backoffice.helpers import staff_client
from tests.workflows.payments.factories import bound_payer
from tests.workflows.points.factories import make_reward, pay_month, points_rules
from workflows.clock import SHANGHAI
from workflows.db import transaction
from workflows.points.models import PointsRule, Redemption, Reward
from workflows.points.service import redeem
from workflows.reminders.models import ReminderPolicy
from workflows.reminders.scheduled import remind_community


def _rows(response):
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


async def test_reminder_settings_and_who_was_reminded_when(runtime):
    payer = await bound_payer(runtime)
    await remind_community(runtime.sessions, community_id=payer.community_id,
                           now=datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI))
    async with staff_client(runtime, "caiwu") as client:
        page = await client.page("/admin/finance/reminders")
        assert page.status_code == 200 and "催缴设置" in page.text and "21:00-08:00" in page.text
        assert "1栋1单元101" in page.text and "张伟" in page.text and "12-07 09:30" in page.text
        export = await client.http.get("/admin/finance/reminders?format=xlsx")
        rows = _rows(export)
        assert rows[0][:3] == ("小区", "房屋", "提醒时间")
        assert any(row[1] == "1栋1单元101" and row[2] == "2026-12-07 09:30" and "张伟" in row[5] for row in rows[1:])
        bad = await client.submit(f"/admin/finance/reminders/{payer.community_id}",
                                  {"enabled": "1", "interval_days": "-2", "quiet_hours": "21:00-08:00",
                                   "timezone": "Asia/Shanghai"})
        assert bad.status_code == 400 and 'id="err-interval_days"' in bad.text
        bad = await client.submit(f"/admin/finance/reminders/{payer.community_id}",
                                  {"enabled": "1", "interval_days": "5", "quiet_hours": "九点以后",
                                   "timezone": "Asia/Shanghai"})
        assert bad.status_code == 400 and 'id="err-quiet_hours"' in bad.text
        async with runtime.sessions() as session:
            assert await session.get(ReminderPolicy, payer.community_id) is None
        saved = await client.submit(f"/admin/finance/reminders/{payer.community_id}",
                                    {"interval_days": "5", "quiet_hours": "22:00-07:30", "timezone": "Asia/Shanghai"})
        assert saved.status_code == 303
        async with runtime.sessions() as session:
            policy = await session.get(ReminderPolicy, payer.community_id)
        assert (policy.enabled, policy.interval_days, policy.quiet_hours) == (False, 5, "22:00-07:30")
        other = await client.submit("/admin/finance/reminders/2", {"interval_days": "5", "quiet_hours": "22:00-07:30"})
        assert other.status_code == 404  # not 孙会计's community
    async with staff_client(runtime, "kefu") as client:
        assert (await client.page("/admin/finance/reminders")).status_code == 403


async def test_points_rules_rewards_and_redemptions(runtime):
    payer = await bound_payer(runtime)
    async with staff_client(runtime, "caiwu") as client:
        page = await client.page("/admin/finance/points")
        assert page.status_code == 200 and "按时缴费" in page.text and "连续按时缴费" in page.text
        bad = await client.submit(f"/admin/finance/points/rules/{payer.community_id}/streak",
                                  {"points": "50", "months": "1", "active": "1"})
        assert bad.status_code == 400 and 'id="err-months"' in bad.text
        ok = await client.submit(f"/admin/finance/points/rules/{payer.community_id}/on_time",
                                 {"points": "40", "active": "1"})
        assert ok.status_code == 303
        negative = await client.submit("/admin/finance/points/rewards", {
            "community_id": str(payer.community_id), "name": "洗衣券", "cost_points": "-20", "stock": "5"})
        assert negative.status_code == 400 and 'id="err-cost_points"' in negative.text and "正整数" in negative.text
        no_stock = await client.submit("/admin/finance/points/rewards", {
            "community_id": str(payer.community_id), "name": "洗衣券", "cost_points": "20", "stock": "-1"})
        assert no_stock.status_code == 400 and 'id="err-stock"' in no_stock.text
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count(Reward.id))) == 0
        made = await client.submit("/admin/finance/points/rewards", {
            "community_id": str(payer.community_id), "name": "洗衣券", "cost_points": "20", "stock": "5"})
        assert made.status_code == 303
        async with runtime.sessions() as session:
            rule = await session.scalar(select(PointsRule))
            reward = await session.scalar(select(Reward))
        assert (rule.kind.value, rule.points, rule.active) == ("on_time", 40, True)
        assert (reward.name, reward.cost_points, reward.stock) == ("洗衣券", 20, 5)
        await pay_month(runtime, payer, "2026-12")
        async with transaction(runtime.sessions) as session:
            redemption = await redeem(session, openid=payer.openid, household_id=payer.household_id,
                                      reward_id=reward.id)
        found = await client.page(f"/admin/finance/points?code={redemption.code.lower()}")
        assert redemption.code in found.text and "待领取" in found.text and "1栋1单元101" in found.text
        used = await client.submit(f"/admin/finance/points/redemptions/{redemption.id}/use", {})
        assert used.status_code == 303
        again = await client.submit(f"/admin/finance/points/redemptions/{redemption.id}/use", {})
        assert again.status_code == 303
        assert "已经使用过" in (await client.page("/admin/finance/points")).text
        async with runtime.sessions() as session:
            assert (await session.get(Redemption, redemption.id)).status == "used"
        rows = _rows(await client.http.get("/admin/finance/points?format=xlsx"))
        assert rows[0][0] == "兑换码" and rows[1][0] == redemption.code and rows[1][6] == "已领取"


async def test_a_reward_is_edited_in_place(runtime):
    payer = await bound_payer(runtime)
    await points_rules(runtime, payer.community_id)
    reward_id = await make_reward(runtime, payer.community_id, cost=30, stock=2)
    async with staff_client(runtime, "caiwu") as client:
        form = await client.page(f"/admin/finance/points/rewards/{reward_id}")
        assert "修改礼品「停车优惠券」" in form.text
        saved = await client.submit(f"/admin/finance/points/rewards/{reward_id}",
                                    {"name": "停车优惠券", "cost_points": "25", "stock": "9", "active": "1"})
        assert saved.status_code == 303
    async with runtime.sessions() as session:
        reward = await session.get(Reward, reward_id)
    assert (reward.cost_points, reward.stock, reward.active) == (25, 9, True)
