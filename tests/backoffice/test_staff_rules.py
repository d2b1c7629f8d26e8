"""Finding 3: a manager manages front-line roles in their own communities only — never another manager, never
staff who also serve a community the manager does not manage. Finding 5: deactivation (in the service) ends the
account's sessions and WeChat binding; a deactivated staff member bound in WeChat gets nothing in chat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from workflows.db import transaction
from workflows.demo import DEMO_PASSWORD
from workflows.staff.models import Role, StaffUser
from workflows.staff.service import create_staff


async def _create(runtime, username: str, role: Role, *codes: str) -> int:
    async with transaction(runtime.sessions) as session:
        row = await create_staff(session, username=username, display_name=username, role=role,
                                 community_codes=list(codes), password=DEMO_PASSWORD)
        return row.id


async def _row(runtime, staff_id: int) -> StaffUser:
    async with transaction(runtime.sessions) as session:
        return await session.get(StaffUser, staff_id)


@pytest.mark.parametrize("action", ["deactivate", "unlock"])
async def test_a_manager_cannot_deactivate_or_unlock_another_manager(runtime, action):
    other = await _create(runtime, "manager2", Role.MANAGER, "YGHY")
    async with staff_client(runtime, "manager") as client:
        response = await client.submit(f"/admin/staff/{other}/{action}")
        assert response.status_code == 403
        assert f"/admin/staff/{other}/deactivate" not in (await client.page("/admin/staff")).text
    assert (await _row(runtime, other)).active


async def test_a_manager_cannot_deactivate_staff_who_also_serve_another_community(runtime):
    shared = await _create(runtime, "shared.kefu", Role.FRONT_DESK, "YGHY", "CHY")
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit(f"/admin/staff/{shared}/deactivate")).status_code == 403
    assert (await _row(runtime, shared)).active
    async with staff_client(runtime, "admin") as admin:
        assert (await admin.submit(f"/admin/staff/{shared}/deactivate")).status_code == 303
    assert not (await _row(runtime, shared)).active


async def test_a_manager_still_deactivates_a_front_line_account_of_their_community(runtime):
    async with transaction(runtime.sessions) as session:
        tech = await session.scalar(select(StaffUser.id).where(StaffUser.username == "chen.shifu"))
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit(f"/admin/staff/{tech}/deactivate")).status_code == 303
    assert not (await _row(runtime, tech)).active
