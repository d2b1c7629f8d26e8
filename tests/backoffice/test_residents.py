"""住户 pages: roster import with preview, per-row report and nothing imported on errors; edits; binding requests."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.backoffice.factories import community_id
from tests.backoffice.helpers import staff_client
from tests.workflows.community_roster.test_roster import xlsx
from workflows.bindings.models import BindingRequest, BindingRequestStatus, WechatBinding
from workflows.community.models import Building, Community, Household, Resident
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage


async def _household_id(runtime, code: str = "YGHY", building: str = "1栋", room: str = "1单元101") -> int:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(Household.id).join(Building).join(Community).where(
            Community.code == code, Building.name == building, Household.room == room))


async def _residents(runtime) -> int:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(func.count(Resident.id)))


async def test_a_roster_with_bad_rows_gets_a_per_row_report_and_nothing_is_imported(runtime):
    yghy = await community_id(runtime, "YGHY")
    before = await _residents(runtime)
    data = xlsx([["9", "1单元101", 90, "刘洋", "13912345678", None], ["9", "1单元102", 90, "", "139", None]])
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/residents/import", {"community_id": yghy},
                                       files={"roster": ("名册.xlsx", data)})
        assert response.status_code == 400 and 'id="roster-errors"' in response.text
        assert "业主姓名不能为空" in response.text and "电话“139”格式不对" in response.text
        assert "<td>3</td>" in response.text and "确认导入" not in response.text
    assert await _residents(runtime) == before


async def test_a_clean_roster_is_previewed_then_imported_in_one_go(runtime):
    yghy = await community_id(runtime, "YGHY")
    before = await _residents(runtime)
    data = xlsx([["9", "1单元101", 90, "刘洋", "13912345678", "2020-05-01"],
                 ["9", "1单元102", 88.5, "王芳", "", None]])
    async with staff_client(runtime, "kefu") as client:
        preview = await client.submit("/admin/residents/import", {"community_id": yghy},
                                      files={"roster": ("名册.xlsx", data)})
        assert preview.status_code == 200 and "预览：2 行" in preview.text
        assert await _residents(runtime) == before  # a preview changes nothing
        token = preview.text.split('name="token" value="')[1].split('"')[0]
        done = await client.submit("/admin/residents/import/confirm", {"token": token})
        assert done.status_code == 303
        assert "新增房屋 2 户，新增住户 2 人" in (await client.page("/admin/residents?q=刘洋")).text
        again = await client.submit("/admin/residents/import/confirm", {"token": token})
        assert again.headers["location"] == "/admin/residents/import"  # a preview is used once
    assert await _residents(runtime) == before + 2


async def test_a_roster_for_another_community_is_404(runtime):
    chy = await community_id(runtime, "CHY")
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/residents/import", {"community_id": chy},
                                       files={"roster": ("名册.xlsx", xlsx([["1", "101", 90, "甲", "", None]]))})
        assert response.status_code == 404


async def test_a_bad_area_comes_back_beside_the_field_and_nothing_is_saved(runtime):
    household_id = await _household_id(runtime)
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit(f"/admin/residents/households/{household_id}",
                                       {"area_m2": "很大", "occupancy": "rented"})
        assert response.status_code == 400 and 'id="err-area_m2">面积请填数字' in response.text
        bad_phone = await client.submit(f"/admin/residents/households/{household_id}/residents",
                                        {"name": "张小伟", "phone": "12", "role": "family"})
        assert bad_phone.status_code == 400 and 'id="err-phone">电话格式不对' in bad_phone.text
        ok = await client.submit(f"/admin/residents/households/{household_id}",
                                 {"area_m2": "101.5", "occupancy": "rented"})
        assert ok.status_code == 303
    async with transaction(runtime.sessions) as session:
        household = await session.get(Household, household_id)
        assert str(household.area_m2) == "101.50" and household.occupancy.value == "rented"
        assert await session.scalar(select(Resident).where(Resident.name == "张小伟")) is None


async def test_another_communitys_household_is_404(runtime):
    theirs = await _household_id(runtime, code="CHY", building="1栋", room="1单元101")
    async with staff_client(runtime, "kefu") as client:
        assert (await client.http.get(f"/admin/residents/households/{theirs}")).status_code == 404
        edit = await client.submit(f"/admin/residents/households/{theirs}", {"area_m2": "1", "occupancy": "vacant"})
        assert edit.status_code == 404
        listed = await client.api("GET", "/admin/api/households")
        assert theirs not in [h["id"] for h in listed.json()["items"]]


async def test_staff_approve_a_binding_request_and_the_owner_is_told(runtime):
    household_id = await _household_id(runtime)
    async with transaction(runtime.sessions) as session:
        household = await session.get(Household, household_id)
        request = BindingRequest(openid="new-tenant", community_id=household.community_id,
                                 household_id=household_id, name="李租客", phone="13700000000", role="tenant")
        session.add(request)
        await session.flush()
        request_id = request.id
    async with staff_client(runtime, "kefu") as client:
        page = await client.page("/admin/residents/binding-requests")
        assert "李租客" in page.text
        assert (await client.submit(f"/admin/residents/binding-requests/{request_id}/approve")).status_code == 303
        assert (await client.submit(f"/admin/residents/binding-requests/{request_id}/approve")).status_code == 409
    async with staff_client(runtime, "cuihu.kefu") as other:
        assert (await other.submit(f"/admin/residents/binding-requests/{request_id}/reject")).status_code == 404
    async with transaction(runtime.sessions) as session:
        assert (await session.get(BindingRequest, request_id)).status == BindingRequestStatus.APPROVED
        assert await session.scalar(select(WechatBinding).where(WechatBinding.openid == "new-tenant")) is not None
        message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        assert message.payload["openid"] == "new-tenant" and "已通过" in message.payload["text"]


async def test_binding_requests_are_decided_over_json_with_the_same_scoping(runtime):
    household_id = await _household_id(runtime)
    async with transaction(runtime.sessions) as session:
        household = await session.get(Household, household_id)
        request = BindingRequest(openid="json-owner", community_id=household.community_id,
                                 household_id=household_id, name="周某", role="family")
        session.add(request)
        await session.flush()
        request_id = request.id
    async with staff_client(runtime, "cuihu.kefu") as other:
        assert (await other.api("POST", f"/admin/api/binding-requests/{request_id}/approve", {})).status_code == 404
        assert (await other.api("GET", "/admin/api/binding-requests")).json()["items"] == []
    async with staff_client(runtime, "kefu") as client:
        listed = (await client.api("GET", "/admin/api/binding-requests")).json()["items"]
        assert [r["id"] for r in listed] == [request_id]
        decided = await client.api("POST", f"/admin/api/binding-requests/{request_id}/reject", {"note": "查无此人"})
        assert decided.json() == {"id": request_id, "status": "rejected"}


async def test_an_oversized_roster_is_refused_without_importing(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/residents/import", {"community_id": yghy},
                                       files={"roster": ("名册.csv", b"x" * (5 * 1024 * 1024 + 10))})
        assert response.status_code == 400 and "文件太大" in response.text
