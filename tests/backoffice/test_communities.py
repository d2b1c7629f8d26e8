"""小区设置: the company admin creates a community, changes its settings and adds buildings; nobody else may."""

from __future__ import annotations

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from workflows.audit.models import AuditEvent
from workflows.community.models import Building, Community

NEW = {"name": "和谐苑", "code": "hxy", "phone": "021-66660000", "address": "和谐路 8 号",
       "location": "31.11,121.38", "radius_m": "400", "working_hours": "08:30-17:30", "buildings": "1-3,商铺"}


async def _community(runtime, code: str) -> Community | None:
    async with runtime.sessions() as session:
        return await session.scalar(select(Community).where(Community.code == code))


async def test_the_company_admin_creates_a_community_with_its_buildings_and_changes_it(runtime):
    async with staff_client(runtime, "admin") as client:
        assert "小区设置" in (await client.page("/admin/communities")).text
        created = await client.submit("/admin/communities", NEW)
        assert created.status_code == 303
        community = await _community(runtime, "HXY")
        assert (community.name, community.working_hours, community.radius_m) == ("和谐苑", "08:30-17:30", 400)
        page = await client.page(created.headers["location"])
        assert "4 栋" in page.text and "商铺" in page.text
        changed = await client.submit(f"/admin/communities/{community.id}",
                                      {**NEW, "code": "HXY", "phone": "021-66661111", "working_hours": ""})
        assert changed.status_code == 303
        more = await client.submit(f"/admin/communities/{community.id}/buildings", {"buildings": "3,4"})
        assert more.status_code == 303
    community = await _community(runtime, "HXY")
    assert (community.phone, community.working_hours) == ("021-66661111", "")
    async with runtime.sessions() as session:
        names = list(await session.scalars(select(Building.name).where(Building.community_id == community.id)
                                           .order_by(Building.sort_key)))
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "community")))
    assert names == ["1栋", "2栋", "3栋", "4栋", "商铺"]
    assert actions == ["create", "add_buildings", "update", "add_buildings"]


async def test_bad_settings_come_back_beside_the_field_and_nothing_is_created(runtime):
    async with staff_client(runtime, "admin") as client:
        for field, value, message in (("code", "阳光", "小区代码"), ("phone", "12345", "物业电话格式"),
                                      ("location", "31.1", "经纬度"), ("working_hours", "20:00-08:00", "办公时间"),
                                      ("radius_m", "十米", "范围半径"), ("name", "阳光花园", "已经有了")):
            response = await client.submit("/admin/communities", {**NEW, field: value})
            assert response.status_code == 400 and f'id="err-{field}">' in response.text, field
            assert message in response.text.split(f'id="err-{field}">')[1][:60]
    assert await _community(runtime, "HXY") is None


async def test_managers_and_front_desk_may_not_open_the_settings(runtime):
    for username in ("manager", "kefu"):
        async with staff_client(runtime, username) as client:
            assert "/admin/communities" not in (await client.page("/admin/me")).text
            assert (await client.page("/admin/communities")).status_code == 403
            assert (await client.submit("/admin/communities", NEW)).status_code == 403
    assert await _community(runtime, "HXY") is None
