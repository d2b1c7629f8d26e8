"""Finding 5: a deactivated staff member still bound in WeChat looks up nothing in chat; deactivation through the
service clears the binding and ends the account's back-office sessions."""

from __future__ import annotations

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from tests.bot.dialogs.test_repair_tickets import bind_staff_wechat, submit_leak
from tests.bot.owners import Owner
from workflows.db import transaction
from workflows.staff.models import StaffUser


async def _set_active(runtime, username: str, active: bool) -> StaffUser:
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        staff.active = active
        return staff


async def test_a_deactivated_staff_member_still_bound_in_wechat_cannot_look_up_tickets(owner: Owner, bot,
                                                                                      runtime) -> None:
    await owner.bind_demo_flat()
    number = await submit_leak(owner)
    await bind_staff_wechat(runtime, "kefu", "o-kefu")
    kefu = Owner(bot, openid="o-kefu")
    assert "状态：" in await kefu.say(number)
    await _set_active(runtime, "kefu", False)  # an account deactivated before bindings were cleared
    assert "没有找到" in await kefu.say(number)
    assert "厨房水龙头" not in await kefu.say(number)


async def test_deactivating_clears_the_wechat_binding_and_ends_sessions(owner: Owner, bot, runtime) -> None:
    await bind_staff_wechat(runtime, "chen.shifu", "o-chen")
    async with transaction(runtime.sessions) as session:
        chen = await session.scalar(select(StaffUser).where(StaffUser.username == "chen.shifu"))
    async with staff_client(runtime, "chen.shifu") as technician, staff_client(runtime, "manager") as manager:
        assert (await technician.page("/admin/me")).status_code == 200
        assert (await manager.submit(f"/admin/staff/{chen.id}/deactivate")).status_code == 303
        assert (await manager.submit(f"/admin/staff/{chen.id}/activate")).status_code == 303
        # Reactivated, but the session opened before the deactivation stays ended.
        assert (await technician.page("/admin/me", follow_redirects=False)).status_code == 303
    async with transaction(runtime.sessions) as session:
        row = await session.get(StaffUser, chen.id)
        assert row.wechat_openid is None and row.active
