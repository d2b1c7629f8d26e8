"""Staff pages for complaints: list, anonymity, the staff member it is about never sees it, reply, escalate."""

from __future__ import annotations

from sqlalchemy import select

from tests.backoffice.helpers import staff_client
from tests.workflows.repairs.factories import OPENID, demo
from workflows.complaints import service
from workflows.complaints.models import Complaint, ComplaintStatus
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage


async def file_complaint(runtime, d, **extra) -> Complaint:
    values = {"category": "噪音", "description": "楼上半夜装修", "household_id": d.household_id,
              "resident_id": d.resident_id, **extra}
    async with transaction(runtime.sessions) as session:
        return await service.open_complaint(session, community_id=d.community_id, openid=OPENID, **values)


async def test_front_desk_replies_and_the_answer_goes_to_the_owner(runtime):
    d = await demo(runtime)
    complaint = await file_complaint(runtime, d)
    async with staff_client(runtime, "kefu") as client:
        listing = await client.page("/admin/complaints")
        assert complaint.number in listing.text
        assert complaint.number not in (await client.page("/admin/complaints?category=停车")).text
        page = await client.page(f"/admin/complaints/{complaint.id}")
        assert "张伟" in page.text and "业主投诉" in page.text
        empty = await client.submit(f"/admin/complaints/{complaint.id}/reply", {"body": " "})
        assert empty.status_code == 400 and "请写下回复内容" in empty.text
        await client.submit(f"/admin/complaints/{complaint.id}/start")
        assert (await client.submit(f"/admin/complaints/{complaint.id}/reply",
                                    {"body": "已和楼上沟通，晚上不再施工"})).status_code == 303
        assert "回复业主" in (await client.page(f"/admin/complaints/{complaint.id}")).text
    async with runtime.sessions() as session:
        message = await session.scalar(select(OutboxMessage).where(OutboxMessage.payload.is_not(None))
                                       .order_by(OutboxMessage.id.desc()))
        loaded = await session.get(Complaint, complaint.id)
    assert loaded.status == ComplaintStatus.REPLIED and "晚上不再施工" in message.payload["text"]


async def test_anonymous_complaint_about_staff_is_hidden_from_them_and_anonymous_to_others(runtime):
    d = await demo(runtime)
    complaint = await file_complaint(runtime, d, category="服务态度", description="客服态度差", anonymous=True,
                                     about_staff_id=d.staff["kefu"].id, about_staff_text="小林")
    async with staff_client(runtime, "kefu") as client:
        assert (await client.http.get(f"/admin/complaints/{complaint.id}")).status_code == 404
        assert complaint.number not in (await client.page("/admin/complaints")).text
        assert (await client.api("GET", "/admin/api/complaints")).json()["items"] == []
    async with staff_client(runtime, "manager") as client:
        page = await client.page(f"/admin/complaints/{complaint.id}")
        assert "匿名" in page.text and "张伟" not in page.text and "13800001234" not in page.text
        refused = await client.submit(f"/admin/complaints/{complaint.id}/assign",
                                      {"staff_id": str(d.staff["kefu"].id)})
        assert refused.status_code == 303
        assert "不能交给被投诉的工作人员" in (await client.page(f"/admin/complaints/{complaint.id}")).text
    async with staff_client(runtime, "cuihu.kefu") as client:
        assert (await client.http.get(f"/admin/complaints/{complaint.id}")).status_code == 404
    async with staff_client(runtime, "wang.shifu") as client:
        assert (await client.http.get("/admin/complaints")).status_code == 403


async def test_api_escalates_and_refuses_an_impossible_close(runtime):
    d = await demo(runtime)
    complaint = await file_complaint(runtime, d)
    async with staff_client(runtime, "kefu") as client:
        refused = await client.api("POST", f"/admin/api/complaints/{complaint.id}/actions", {"action": "close"})
        assert refused.status_code == 409
        escalated = await client.api("POST", f"/admin/api/complaints/{complaint.id}/actions",
                                     {"action": "escalate", "note": "涉及多户"})
        assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
        assert escalated.json()["assignee_id"] == d.staff["manager"].id
