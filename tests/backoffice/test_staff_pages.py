"""员工 page: managers create front-line accounts in their own communities, unlock and deactivate them."""

from __future__ import annotations

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from workflows.db import transaction
from workflows.staff.models import StaffUser

NEW = {"username": "zhao.shifu", "display_name": "赵师傅", "role": "technician", "community": "YGHY",
       "password": "zhao-password-1", "skills": "水电"}


async def _staff(runtime, username: str) -> StaffUser | None:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(StaffUser).where(StaffUser.username == username))


async def test_a_manager_creates_a_technician_who_can_log_in(runtime):
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit("/admin/staff", NEW)).status_code == 303
        assert "赵师傅" in (await client.page("/admin/staff")).text
    async with staff_client(runtime) as technician:
        assert (await technician.login("zhao.shifu", "zhao-password-1")).status_code == 303


async def test_bad_staff_values_come_back_beside_the_field_and_nothing_is_created(runtime):
    async with staff_client(runtime, "manager") as client:
        short = await client.submit("/admin/staff", {**NEW, "password": "short"})
        assert short.status_code == 400 and 'id="err-password">密码至少 8 位' in short.text
        assert 'value="zhao-password-1"' not in short.text and "short" not in short.text.split("<main>")[1]
        promote = await client.submit("/admin/staff", {**NEW, "role": "manager"})
        assert promote.status_code == 400 and 'id="err-role"' in promote.text
        elsewhere = await client.submit("/admin/staff", {**NEW, "community": "CHY"})
        assert elsewhere.status_code == 404
    assert await _staff(runtime, "zhao.shifu") is None


async def test_a_locked_account_is_unlocked_by_the_manager_but_not_by_another_community(runtime):
    async with staff_client(runtime) as client:
        for _ in range(5):
            await client.login("li.shifu", "wrong")
    locked = await _staff(runtime, "li.shifu")
    assert locked.locked_until is not None
    async with staff_client(runtime, "cuihu.kefu") as other:
        assert (await other.submit(f"/admin/staff/{locked.id}/unlock")).status_code == 403
    async with staff_client(runtime, "manager") as client:
        assert "锁定至" in (await client.page("/admin/staff")).text
        assert (await client.submit(f"/admin/staff/{locked.id}/unlock")).status_code == 303
    assert (await _staff(runtime, "li.shifu")).locked_until is None
    async with staff_client(runtime, "li.shifu"):
        pass


async def test_a_deactivated_account_cannot_log_in(runtime):
    target = await _staff(runtime, "chen.shifu")
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit(f"/admin/staff/{target.id}/deactivate")).status_code == 303
    async with staff_client(runtime) as client:
        response = await client.login("chen.shifu")
        assert response.status_code == 400 and "已停用" in response.text
