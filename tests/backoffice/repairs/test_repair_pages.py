"""Staff pages for work orders: list filters, detail with timeline, assign, transitions, comments with photos,
photo scoping, the JSON API and the duplicate report."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from tests.workflows.repairs.factories import demo, open_ticket
from workflows.community.models import Community
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairStatus, RepairTicket

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


async def status_of(runtime, ticket_id: int) -> RepairStatus:
    async with runtime.sessions() as session:
        return (await session.get(RepairTicket, ticket_id)).status


async def test_front_desk_filters_the_list_and_reassigns(runtime):
    d = await demo(runtime)
    leak = await open_ticket(runtime, d)
    lift = await open_ticket(runtime, d, category="电梯", description="3栋电梯按钮失灵", household_id=None,
                             public_area=True, location_text="3栋电梯", building_id=None)
    async with staff_client(runtime, "kefu") as client:
        listing = await client.page("/admin/repairs")
        assert leak.number in listing.text and lift.number in listing.text and "本月重复报修" in listing.text
        only_lifts = await client.page("/admin/repairs?category=电梯")
        assert lift.number in only_lifts.text and leak.number not in only_lifts.text
        building = await client.page(f"/admin/repairs?building={d.building_id}")
        assert leak.number in building.text and lift.number not in building.text
        detail = await client.page(f"/admin/repairs/{leak.id}")
        assert "王师傅" in detail.text and "业主报修" in detail.text and "改派" in detail.text
        moved = await client.submit(f"/admin/repairs/{leak.id}/assign",
                                    {"technician_id": str(d.staff["chen.shifu"].id)})
        assert moved.status_code == 303
        bad = await client.submit(f"/admin/repairs/{leak.id}/assign", {"technician_id": str(d.staff["kefu"].id)})
        assert bad.status_code == 400 and "请选择本小区的维修师傅" in bad.text
        assert "陈师傅" in (await client.page(f"/admin/repairs/{leak.id}")).text
        export = await client.http.get("/admin/repairs?format=xlsx")
        assert export.status_code == 200 and export.content[:2] == b"PK"


async def test_a_technician_accepts_adds_a_photo_and_completes(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    async with staff_client(runtime, "wang.shifu") as client:
        page = await client.page(f"/admin/repairs/{ticket.id}")
        assert "接单" in page.text
        assert (await client.submit(f"/admin/repairs/{ticket.id}/act/accept")).status_code == 303
        await client.submit(f"/admin/repairs/{ticket.id}/act/start")
        added = await client.submit(f"/admin/repairs/{ticket.id}/comment", {"body": "阀芯坏了，已更换"},
                                    files={"photo": ("fix.png", PNG, "image/png")})
        assert added.status_code == 303
        rejected = await client.submit(f"/admin/repairs/{ticket.id}/comment", {"body": ""},
                                       files={"photo": ("x.txt", b"hello", "text/plain")})
        assert rejected.status_code == 400 and "只能上传" in rejected.text
        photo = await client.http.get(f"/admin/repairs/{ticket.id}/photos/0")
        assert photo.status_code == 200 and photo.content == PNG
        assert (await client.http.get(f"/admin/repairs/{ticket.id}/photos/5")).status_code == 404
        await client.submit(f"/admin/repairs/{ticket.id}/act/complete")
        done = await client.page(f"/admin/repairs/{ticket.id}")
        assert "已完成" in done.text and "阀芯坏了" in done.text
    assert await status_of(runtime, ticket.id) == RepairStatus.COMPLETED


async def test_impossible_or_foreign_actions_are_refused_and_nothing_changes(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    async with staff_client(runtime, "li.shifu") as client:  # not in the 水电 group
        await client.submit(f"/admin/repairs/{ticket.id}/act/accept")
        assert "不是派给您的" in (await client.page(f"/admin/repairs/{ticket.id}")).text
        response = await client.api("POST", f"/admin/api/repairs/{ticket.id}/actions", {"action": "complete"})
        assert response.status_code == 409
    async with staff_client(runtime, "wang.shifu") as client:
        await client.submit(f"/admin/repairs/{ticket.id}/act/complete")  # not accepted yet
        assert "不能「完工」" in (await client.page(f"/admin/repairs/{ticket.id}")).text
    assert await status_of(runtime, ticket.id) == RepairStatus.DISPATCHED


async def test_the_second_technician_is_told_the_order_is_taken(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    async with staff_client(runtime, "chen.shifu") as chen:
        page = await chen.page(f"/admin/repairs/{ticket.id}")  # both see 接单
        async with staff_client(runtime, "wang.shifu") as wang:
            assert (await wang.api("POST", f"/admin/api/repairs/{ticket.id}/actions",
                                   {"action": "accept"})).status_code == 200
        assert "接单" in page.text
        await chen.submit(f"/admin/repairs/{ticket.id}/act/accept")
        told = await chen.page(f"/admin/repairs/{ticket.id}")
        assert "不能「接单」" in told.text or "其他师傅接单" in told.text
    async with runtime.sessions() as session:
        assert (await session.get(RepairTicket, ticket.id)).assignee_id == d.staff["wang.shifu"].id


async def test_staff_of_another_community_get_404_for_pages_photos_and_api(runtime, tmp_path: Path):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    async with staff_client(runtime, "cuihu.kefu") as client:
        assert (await client.http.get(f"/admin/repairs/{ticket.id}")).status_code == 404
        assert (await client.http.get(f"/admin/repairs/{ticket.id}/photos/0")).status_code == 404
        assert (await client.api("GET", f"/admin/api/repairs/{ticket.id}")).status_code == 404
        assert ticket.number not in (await client.page("/admin/repairs")).text
        assert (await client.api("GET", "/admin/api/repairs")).json()["items"] == []
    async with staff_client(runtime, "caiwu") as client:
        assert (await client.http.get("/admin/repairs")).status_code == 403


async def test_api_lists_breached_tickets_for_the_dashboard(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d, description="卫生间漏水")
    async with transaction(runtime.sessions) as session:
        loaded = await session.get(RepairTicket, ticket.id)
        loaded.respond_by = loaded.created_at  # already late
        community = await session.scalar(select(Community).where(Community.id == d.community_id))
        assert community is not None
    async with staff_client(runtime, "manager") as client:
        items = (await client.api("GET", "/admin/api/repairs?sla=breached")).json()["items"]
        assert [i["number"] for i in items] == [ticket.number]
        assert (await client.api("POST", f"/admin/api/repairs/{ticket.id}/assign",
                                 {"technician_id": d.staff["chen.shifu"].id})).json()["assignee_id"] == \
            d.staff["chen.shifu"].id
    assert repairs.DEFAULT_POLICY.reopen_days == 7
