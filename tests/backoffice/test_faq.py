"""常见问题 in the back office: roles, scope, bad forms, changes the bot answers with at once, 待完善, CSRF, JSON."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from html import unescape

from openpyxl import load_workbook
from sqlalchemy import func, select

from knowledge.assistant import build_assistant
from tests.backoffice.factories import community_id
from tests.backoffice.helpers import staff_client
from workflows.audit.models import AuditEvent
from workflows.clock import local, utcnow
from workflows.db import transaction
from workflows.faq.models import FaqEntry, FaqFeedback, UnansweredQuestion
from workflows.faq.service import create_entry, record_feedback, record_unanswered
from workflows.runtime import Runtime


async def _entry(runtime: Runtime, *, code: str | None = "YGHY", question: str = "垃圾几点收？",
                 answer: str = "每天早上七点和晚上七点收垃圾。") -> int:
    cid = await community_id(runtime, code) if code else None
    async with transaction(runtime.sessions) as session:
        return (await create_entry(session, community_id=cid, question=question, answer=answer, staff_id=1)).id


async def _count(runtime: Runtime) -> int:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(func.count()).select_from(FaqEntry))


async def _bot_says(runtime: Runtime, question: str) -> str:
    cid = await community_id(runtime, "YGHY")
    answer = await build_assistant(runtime.settings).answer(community_id=cid, question=question)
    return answer.text


async def test_a_technician_may_not_open_the_faq(runtime):
    async with staff_client(runtime, "wang.shifu") as client:
        page = await client.page("/admin/faq")
        assert page.status_code == 403 and "没有这个页面的权限" in page.text
        assert (await client.api("GET", "/admin/api/faq")).status_code == 403
        assert (await client.submit("/admin/faq/new", {"question": "q", "answer": "a"})).status_code == 403
    assert await _count(runtime) == 0


async def test_added_edited_and_deleted_entries_change_the_bots_answer_at_once(runtime):
    async with staff_client(runtime, "kefu") as client:
        nav = await client.page("/admin/faq")
        assert nav.status_code == 200 and 'href="/admin/faq"' in nav.text
        added = await client.submit("/admin/faq/new", {"question": "小区的快递柜在哪里？",
                                                       "answer": "快递柜在南门岗亭旁边，24小时可取。",
                                                       "category": "生活服务", "alternatives": "快递放哪\n取快递去哪"})
        assert added.status_code == 303
        assert "快递柜在南门岗亭旁边" in await _bot_says(runtime, "快递柜在哪里")
        async with transaction(runtime.sessions) as session:
            entry = await session.scalar(select(FaqEntry).where(FaqEntry.question == "小区的快递柜在哪里？"))
            assert entry.alternatives == ["快递放哪", "取快递去哪"] and entry.category == "生活服务"
        listed = await client.page("/admin/faq?q=快递&category=生活服务")
        assert "小区的快递柜在哪里？" in listed.text and "取快递去哪" in listed.text

        edited = await client.submit(f"/admin/faq/{entry.id}", {"question": "小区的快递柜在哪里？",
                                                                "answer": "快递柜已搬到5栋北侧，24小时可取。",
                                                                "category": "生活服务", "alternatives": "快递放哪"})
        assert edited.status_code == 303
        said = await _bot_says(runtime, "快递柜在哪里")
        assert "快递柜已搬到5栋北侧" in said and "南门岗亭" not in said

        deleted = await client.submit(f"/admin/faq/{entry.id}/delete")
        assert deleted.status_code == 303
        assert "5栋北侧" not in await _bot_says(runtime, "快递柜在哪里")
        assert "已删除" in (await client.page("/admin/faq")).text
    assert await _count(runtime) == 0
    async with transaction(runtime.sessions) as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "faq_entry", AuditEvent.entity_id == str(entry.id)).order_by(AuditEvent.id)))
        edit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "edit"))
    assert actions == ["create", "edit", "delete"]
    assert "南门岗亭" in edit.data["before"]["answer"] and "5栋北侧" in edit.data["after"]["answer"]


async def test_bad_form_values_are_shown_beside_the_field_and_nothing_is_saved(runtime):
    entry_id = await _entry(runtime)
    async with staff_client(runtime, "kefu") as client:
        missing = await client.submit("/admin/faq/new", {"question": "停车月卡多少钱？", "answer": "  "})
        assert missing.status_code == 400 and 'id="err-answer"' in missing.text and "停车月卡多少钱" in missing.text
        too_many = await client.submit("/admin/faq/new", {"question": "q", "answer": "a",
                                                          "alternatives": "\n".join(f"问法{i}" for i in range(30))})
        assert too_many.status_code == 400 and 'id="err-alternatives"' in too_many.text
        edit = await client.submit(f"/admin/faq/{entry_id}", {"question": "", "answer": "改了"})
        assert edit.status_code == 400 and 'id="err-question"' in edit.text
        api = await client.api("POST", "/admin/api/faq", {"community_id": await community_id(runtime, "YGHY"),
                                                          "question": "x" * 400, "answer": "a"})
        assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "question"
    assert await _count(runtime) == 1
    async with transaction(runtime.sessions) as session:
        assert (await session.get(FaqEntry, entry_id)).answer == "每天早上七点和晚上七点收垃圾。"


async def test_another_communitys_entry_is_404_and_shared_entries_are_for_admins_to_change(runtime):
    theirs = await _entry(runtime, code="YGHY", question="阳光花园的垃圾几点收？")
    shared = await _entry(runtime, code=None, question="物业服务热线是多少？", answer="请拨打 400-800-1234。")
    async with staff_client(runtime, "cuihu.kefu") as client:
        listed = await client.page("/admin/faq")
        assert "物业服务热线是多少？" in listed.text and "阳光花园的垃圾" not in listed.text
        assert (await client.page(f"/admin/faq/{theirs}")).status_code == 404
        assert (await client.submit(f"/admin/faq/{theirs}", {"question": "q", "answer": "a"})).status_code == 404
        assert (await client.submit(f"/admin/faq/{theirs}", {"question": "", "answer": ""})).status_code == 404
        assert (await client.submit(f"/admin/faq/{theirs}/delete")).status_code == 404
        assert (await client.api("GET", f"/admin/api/faq/{theirs}")).status_code == 404
        assert (await client.api("PUT", f"/admin/api/faq/{theirs}", {"question": "q", "answer": "a"})).status_code \
            == 404
        assert (await client.api("DELETE", f"/admin/api/faq/{theirs}")).status_code == 404
        foreign = await client.api("POST", "/admin/api/faq", {"community_id": await community_id(runtime, "YGHY"),
                                                              "question": "q", "answer": "a"})
        assert foreign.status_code == 404
        view = await client.page(f"/admin/faq/{shared}")
        assert view.status_code == 200 and "只有管理员可以修改" in view.text and "<textarea" not in view.text
        assert (await client.submit(f"/admin/faq/{shared}/delete")).status_code == 403
        assert (await client.api("PUT", f"/admin/api/faq/{shared}", {"question": "q", "answer": "a"})).status_code \
            == 403
        assert [i["id"] for i in (await client.api("GET", "/admin/api/faq")).json()["items"]] == [shared]
    async with staff_client(runtime, "admin") as client:
        ok = await client.api("PUT", f"/admin/api/faq/{shared}", {"question": "物业服务热线是多少？",
                                                                  "answer": "请拨打 400-800-5678。"})
        assert ok.status_code == 200 and ok.json()["community_id"] is None and ok.json()["indexed"] is True
    async with transaction(runtime.sessions) as session:
        assert (await session.get(FaqEntry, theirs)).answer == "每天早上七点和晚上七点收垃圾。"
        assert (await session.get(FaqEntry, shared)).answer == "请拨打 400-800-5678。"


async def _asked(runtime: Runtime, question: str, at: datetime, *, times: int = 1, code: str = "YGHY") -> None:
    cid = await community_id(runtime, code)
    async with transaction(runtime.sessions) as session:
        for i in range(times):
            row = await record_unanswered(session, community_id=cid, openid=f"owner-{i}", question=question)
            row.created_at = at


async def test_the_monthly_summary_is_most_frequent_first_and_keeps_to_the_month(runtime):
    october = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
    await _asked(runtime, "宠物可以进电梯吗？", october)
    await _asked(runtime, "停车月卡多少钱？", october, times=2)
    await _asked(runtime, "请问停车月卡多少钱", datetime(2026, 10, 20, 4, 0, tzinfo=UTC))
    await _asked(runtime, "游泳池几点开？", datetime(2026, 9, 30, 16, 30, tzinfo=UTC), times=5)  # 10-01 00:30 local
    await _asked(runtime, "健身房几点开？", datetime(2026, 10, 31, 16, 30, tzinfo=UTC), times=6)  # 11-01 00:30 local
    await _asked(runtime, "翠湖苑的问题", october, times=9, code="CHY")
    cid = await community_id(runtime, "YGHY")
    async with transaction(runtime.sessions) as session:
        for helpful in (True, True, False):
            feedback = await record_feedback(session, community_id=cid, openid="owner-9", question="装修押金多少？",
                                             entry_id=None, helpful=helpful)
            feedback.created_at = october
        await session.flush()
        for row in await session.scalars(select(UnansweredQuestion).where(
                UnansweredQuestion.question == "装修押金多少？")):
            row.created_at = october
        assert await session.scalar(select(func.count()).select_from(FaqFeedback)) == 3

    async with staff_client(runtime, "manager") as client:
        page = await client.page(f"/admin/faq/pending?community_id={cid}&month=2026-10")
        assert page.status_code == 200
        body = unescape(page.text)
        order = [body.index(q) for q in ("游泳池几点开？", "请问停车月卡多少钱", "宠物可以进电梯吗？")]
        assert order == sorted(order) and "健身房" not in body and "翠湖苑的问题" not in body
        assert re.search(r"<strong>2</strong><span>回答有帮助", body)
        assert re.search(r"<strong>1</strong><span>回答没帮助", body)
        assert "装修押金多少？" in body and "回答没帮助" in body
        link = re.search(r'href="(/admin/faq/new\?[^"]+)"', page.text).group(1)
        form = await client.page(unescape(link))
        assert form.status_code == 200 and 'value="游泳池几点开？"' in form.text
        november = unescape((await client.page(f"/admin/faq/pending?community_id={cid}&month=2026-11")).text)
        assert "健身房几点开？" in november and "游泳池" not in november
        export = await client.http.get(f"/admin/faq/pending?community_id={cid}&month=2026-10&format=xlsx")
        sheet = load_workbook(io.BytesIO(export.content)).active
        assert [row[:2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
            ("游泳池几点开？", 5), ("请问停车月卡多少钱", 3), ("宠物可以进电梯吗？", 1), ("装修押金多少？", 1)]
        assert (await client.page("/admin/faq/pending?month=2026-13")).status_code == 400
        this_month = await client.page("/admin/faq/pending")
        label = local(utcnow()).strftime("%Y-%m")
        assert this_month.status_code == 200 and f'name="month" value="{label}"' in this_month.text
        assert ("健身房几点开？" in this_month.text) == (label == "2026-11")
    async with staff_client(runtime, "cuihu.kefu") as client:
        assert (await client.page(f"/admin/faq/pending?community_id={cid}")).status_code == 404


async def test_writes_without_the_csrf_token_are_refused(runtime):
    entry_id = await _entry(runtime)
    async with staff_client(runtime, "kefu") as client:
        await client.page("/admin/faq")
        form = await client.http.post("/admin/faq/new", data={"question": "q", "answer": "a"})
        assert form.status_code == 403
        assert (await client.http.post(f"/admin/faq/{entry_id}/delete")).status_code == 403
        api = await client.http.post("/admin/api/faq", json={"community_id": await community_id(runtime, "YGHY"),
                                                             "question": "q", "answer": "a"})
        assert api.status_code == 403
        assert (await client.http.delete(f"/admin/api/faq/{entry_id}")).status_code == 403
    assert await _count(runtime) == 1


async def test_the_json_api_lists_creates_updates_and_deletes(runtime):
    cid = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        created = await client.api("POST", "/admin/api/faq", {"community_id": cid, "question": "装修要办什么手续？",
                                                              "answer": "先到物业服务中心登记，交装修押金。",
                                                              "category": "装修", "alternatives": ["装修怎么申请"]})
        assert created.status_code == 200 and created.json()["indexed"] is True
        entry_id = created.json()["id"]
        assert "先到物业服务中心登记" in await _bot_says(runtime, "装修要办什么手续")
        shared = await client.api("POST", "/admin/api/faq", {"question": "q", "answer": "a"})
        assert shared.status_code == 422 and shared.json()["detail"][0]["loc"][-1] == "community_id"
        listed = (await client.api("GET", "/admin/api/faq?category=装修")).json()
        assert [(i["id"], i["alternatives"]) for i in listed["items"]] == [(entry_id, ["装修怎么申请"])]
        updated = await client.api("PUT", f"/admin/api/faq/{entry_id}", {"question": "装修要办什么手续？",
                                                                         "answer": "请带房产证到物业登记。"})
        assert updated.status_code == 200 and updated.json()["answer"] == "请带房产证到物业登记。"
        assert "请带房产证到物业登记" in await _bot_says(runtime, "装修要办什么手续")
        assert (await client.api("DELETE", f"/admin/api/faq/{entry_id}")).json()["deleted"] is True
        assert (await client.api("GET", f"/admin/api/faq/{entry_id}")).status_code == 404
        pending = await client.api("GET", "/admin/api/faq/pending?month=2026-10")
        assert pending.status_code == 200 and pending.json()["month"] == "2026-10"
    assert await _count(runtime) == 0


async def test_the_faq_pages_work_on_postgresql_too(any_runtime):
    await _entry(any_runtime, question="垃圾几点收？")
    shared = await _entry(any_runtime, code=None, question="物业服务热线是多少？", answer="请拨打 400-800-1234。")
    await _asked(any_runtime, "停车月卡多少钱？", datetime(2026, 10, 15, 4, 0, tzinfo=UTC), times=2)
    async with staff_client(any_runtime, "manager") as client:
        listed = (await client.api("GET", "/admin/api/faq?q=热线")).json()
        assert [(i["id"], i["editable"]) for i in listed["items"]] == [(shared, False)]
        assert (await client.page("/admin/faq?category=")).status_code == 200
        pending = (await client.api("GET", "/admin/api/faq/pending?month=2026-10")).json()
        assert [(i["question"], i["count"]) for i in pending["items"]] == [("停车月卡多少钱？", 2)]
        assert (await client.api("GET", "/admin/api/faq/pending?month=2026-09")).json()["items"] == []
