"""The escalation inbox: list, badge, detail, claim, reply into the outbox, the 48-hour window, FAQ, scoping."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.backoffice.factories import bind_owner, raise_escalation
from tests.backoffice.helpers import staff_client
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.escalations.models import Escalation, EscalationReply, EscalationStatus
from workflows.outbox.models import OutboxMessage


async def test_a_new_escalation_shows_in_the_inbox_with_its_owner_and_badge(runtime):
    await bind_owner(runtime, openid="owner-zhang")
    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "kefu") as client:
        inbox = await client.page("/admin/escalations")
        assert inbox.status_code == 200 and "我家楼上一直漏水" in inbox.text and "1栋1单元101" in inbox.text
        assert (await client.http.get("/admin/escalations/badge")).text == "1"
        rows = await client.http.get("/admin/escalations", headers={"HX-Request": "true"})
        assert "<html" not in rows.text and "我家楼上一直漏水" in rows.text
        detail = await client.page(f"/admin/escalations/{escalation_id}")
        assert "张伟" in detail.text and "这个问题我答不好" in detail.text and "认领" in detail.text


async def test_claim_and_reply_write_the_answer_to_the_outbox(runtime):
    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "kefu") as client:
        assert (await client.submit(f"/admin/escalations/{escalation_id}/claim")).status_code == 303
        assert (await client.http.get("/admin/escalations/badge")).text == ""
        reply = await client.submit(f"/admin/escalations/{escalation_id}/reply",
                                    {"body": "您好，师傅下午两点上门查看。"})
        assert reply.status_code == 303
        page = await client.page(f"/admin/escalations/{escalation_id}")
        assert "回复已发出" in page.text and "师傅下午两点上门查看" in page.text and "待发送" in page.text
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        assert escalation.status == EscalationStatus.CLAIMED and escalation.first_response_at is not None
        message = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        assert message.payload["openid"] == "owner-zhang" and "下午两点" in message.payload["text"]


async def test_an_empty_reply_comes_back_with_the_error_and_nothing_is_sent(runtime):
    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit(f"/admin/escalations/{escalation_id}/reply", {"body": "   "})
        assert response.status_code == 400
        assert 'class="field-error" id="err-body">请写下回复内容' in response.text
        too_long = await client.submit(f"/admin/escalations/{escalation_id}/reply", {"body": "好" * 1001})
        assert too_long.status_code == 400 and "回复太长了" in too_long.text
    async with transaction(runtime.sessions) as session:
        assert (await session.scalar(select(EscalationReply))) is None
        assert (await session.scalar(select(OutboxMessage))) is None
        assert (await session.get(Escalation, escalation_id)).status == EscalationStatus.OPEN


async def test_past_the_48_hour_window_the_page_says_so_and_sends_a_template_message(runtime):
    escalation_id = await raise_escalation(runtime)
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        escalation.last_owner_message_at = utcnow() - timedelta(hours=49)
    async with staff_client(runtime, "kefu") as client:
        page = await client.page(f"/admin/escalations/{escalation_id}")
        assert 'id="window-passed"' in page.text and "模板消息" in page.text
        await client.submit(f"/admin/escalations/{escalation_id}/reply", {"body": "您的问题已处理，请查看。"})
    async with transaction(runtime.sessions) as session:
        message = await session.scalar(select(OutboxMessage))
        assert message.kind == "wechat.template"


async def test_resolve_then_reply_is_refused_with_a_clear_page(runtime):
    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "manager") as client:
        assert (await client.submit(f"/admin/escalations/{escalation_id}/resolve")).status_code == 303
        late = await client.submit(f"/admin/escalations/{escalation_id}/reply", {"body": "还在吗？"})
        assert late.status_code == 409 and "请刷新页面" in late.text


async def test_a_staff_answer_becomes_a_faq_entry_the_bot_can_find(runtime):
    from knowledge.assistant import build_assistant
    from workflows.faq.models import FaqEntry

    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "kefu") as client:
        missing = await client.submit(f"/admin/escalations/{escalation_id}/faq", {"faq_question": "漏水怎么办"})
        assert missing.status_code == 400 and 'id="err-faq_answer"' in missing.text
        ok = await client.submit(f"/admin/escalations/{escalation_id}/faq",
                                 {"faq_question": "楼上漏水到我家怎么办？",
                                  "faq_answer": "请拨打物业电话，师傅会上门查看。"})
        assert ok.status_code == 303
        page = await client.page(f"/admin/escalations/{escalation_id}")
        assert "机器人下次就能自己回答了" in page.text
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        entry = await session.scalar(select(FaqEntry).where(FaqEntry.question == "楼上漏水到我家怎么办？"))
        assert entry is not None and entry.community_id == escalation.community_id
        assert f'"faq_entry_id": {entry.id}' in escalation.faq_candidate
    answer = await build_assistant(runtime.settings).answer(community_id=escalation.community_id,
                                                            question="楼上漏水到我家怎么办")
    assert "师傅会上门查看" in answer.text + "".join(label for _, label in getattr(answer, "choices", []) or [])


async def test_another_communitys_escalation_is_404_in_pages_and_json(runtime):
    ours = await raise_escalation(runtime, openid="owner-cuihu", code="CHY", question="翠湖苑的问题")
    theirs = await raise_escalation(runtime)
    async with staff_client(runtime, "cuihu.kefu") as client:
        inbox = await client.page("/admin/escalations")
        assert "翠湖苑的问题" in inbox.text and "我家楼上一直漏水" not in inbox.text
        assert (await client.http.get(f"/admin/escalations/{theirs}")).status_code == 404
        assert (await client.submit(f"/admin/escalations/{theirs}/claim")).status_code == 404
        api = await client.api("POST", f"/admin/api/escalations/{theirs}/reply", {"body": "hi"})
        assert api.status_code == 404 and "我家楼上" not in api.text
        assert (await client.api("GET", f"/admin/api/escalations/{ours}")).status_code == 200
        listed = await client.api("GET", "/admin/api/escalations")
        assert [item["id"] for item in listed.json()["items"]] == [ours]
    async with transaction(runtime.sessions) as session:
        assert (await session.get(Escalation, theirs)).status == EscalationStatus.OPEN


async def test_a_technician_may_not_open_the_inbox(runtime):
    async with staff_client(runtime, "wang.shifu") as client:
        response = await client.page("/admin/escalations")
        assert response.status_code == 403 and "没有这个页面的权限" in response.text
        assert (await client.api("GET", "/admin/api/escalations")).status_code == 403


async def test_the_json_api_replies_with_the_csrf_header_only(runtime):
    escalation_id = await raise_escalation(runtime)
    async with staff_client(runtime, "kefu") as client:
        no_header = await client.http.post(f"/admin/api/escalations/{escalation_id}/reply", json={"body": "您好"})
        assert no_header.status_code == 403
        ok = await client.api("POST", f"/admin/api/escalations/{escalation_id}/reply", {"body": "您好，已安排。"})
        assert ok.status_code == 200 and ok.json()["channel"] == "custom" and ok.json()["status"] == "claimed"
        detail = await client.api("GET", f"/admin/api/escalations/{escalation_id}")
        assert detail.json()["replies"][0]["body"] == "您好，已安排。"


async def test_the_inbox_exports_to_xlsx(runtime):
    import io

    from openpyxl import load_workbook

    await raise_escalation(runtime)
    async with staff_client(runtime, "manager") as client:
        response = await client.http.get("/admin/escalations?format=xlsx")
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "编号" and rows[1][0].startswith("RG-") and "漏水" in rows[1][3]
