"""公告 and 活动 pages: compose/publish, bad values beside their field with nothing saved, scoping, export."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.backoffice.factories import bind_owner, community_id
from tests.backoffice.helpers import staff_client
from workflows.activities.models import Activity
from workflows.activities.service import sign_up
from workflows.announcements.models import Announcement
from workflows.clock import local, utcnow
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage


def _local(delta: timedelta) -> str:
    return local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


async def _count(runtime, model) -> int:
    async with transaction(runtime.sessions) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_publishing_an_announcement_pushes_it_and_shows_delivery_counts(runtime):
    await bind_owner(runtime, openid="owner-zhang")
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/announcements", {"community_id": yghy, "title": "停水通知",
                                                                "body": "明早 9 点到 12 点停水。", "publish": "1"})
        assert response.status_code == 303
        page = await client.page("/admin/announcements")
        assert "正在推送给 1 位" in page.text and "已送达 0 / 1" in page.text and "待发 1" in page.text
    async with transaction(runtime.sessions) as session:
        message = await session.scalar(select(OutboxMessage))
        assert message.payload["openid"] == "owner-zhang" and "停水通知" in message.payload["text"]


async def test_an_announcement_without_a_title_comes_back_with_the_error_and_nothing_saved(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/announcements", {"community_id": yghy, "title": "",
                                                                "body": "正文还在", "publish": "1"})
        assert response.status_code == 400
        assert 'id="err-title">请填写标题' in response.text and "正文还在" in response.text
    assert await _count(runtime, Announcement) == 0


async def test_an_announcement_for_another_community_is_404(runtime):
    chy = await community_id(runtime, "CHY")
    async with staff_client(runtime, "kefu") as client:
        response = await client.submit("/admin/announcements", {"community_id": chy, "title": "越权", "body": "x"})
        assert response.status_code == 404
        api = await client.api("POST", "/admin/api/announcements", {"community_id": chy, "title": "越权", "body": "x"})
        assert api.status_code == 404
    assert await _count(runtime, Announcement) == 0


async def test_an_activity_with_a_deadline_after_the_start_is_refused_beside_the_field(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "manager") as client:
        response = await client.submit("/admin/activities", {
            "community_id": yghy, "title": "包饺子", "place": "会所", "capacity": "20",
            "starts_at": _local(timedelta(days=2)), "signup_deadline": _local(timedelta(days=3))})
        assert response.status_code == 400 and 'id="err-signup_deadline">报名截止时间不能晚于活动开始' in response.text
        bad_number = await client.submit("/admin/activities", {
            "community_id": yghy, "title": "包饺子", "place": "会所", "capacity": "二十",
            "starts_at": _local(timedelta(days=2)), "signup_deadline": _local(timedelta(days=1))})
        assert bad_number.status_code == 400 and 'id="err-capacity">请填写整数' in bad_number.text
    assert await _count(runtime, Activity) == 0


async def test_staff_see_who_signed_up_and_export_the_list(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "manager") as client:
        created = await client.submit("/admin/activities", {
            "community_id": yghy, "title": "重阳节包饺子", "place": "会所活动室", "capacity": "20",
            "starts_at": _local(timedelta(days=2)), "signup_deadline": _local(timedelta(days=1))})
        assert created.status_code == 303
        activity_url = created.headers["location"]
        activity_id = int(activity_url.rsplit("/", 1)[1])
        async with transaction(runtime.sessions) as session:
            await sign_up(session, activity_id=activity_id, openid="o-1", name="张伟", phone="13800001234")
        page = await client.page(activity_url)
        assert "张伟" in page.text and 'id="signed-count">1<' in page.text
        export = await client.http.get(activity_url + "?format=xlsx")
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert rows[0][:3] == ("序号", "姓名", "电话") and rows[1][1:3] == ("张伟", "13800001234")
    async with staff_client(runtime, "cuihu.kefu") as other:
        assert (await other.http.get(activity_url)).status_code == 404
        assert (await other.http.get(activity_url + "?format=xlsx")).status_code == 404


async def test_activities_are_created_over_json_and_bad_fields_are_named(runtime):
    yghy = await community_id(runtime, "YGHY")
    start = (utcnow() + timedelta(days=3)).isoformat()
    async with staff_client(runtime, "manager") as client:
        bad = await client.api("POST", "/admin/api/activities", {
            "community_id": yghy, "title": "义诊", "place": "会所", "capacity": 0, "starts_at": start,
            "signup_deadline": (utcnow() + timedelta(days=1)).isoformat()})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "capacity"
        ok = await client.api("POST", "/admin/api/activities", {
            "community_id": yghy, "title": "义诊", "place": "会所", "capacity": 30, "starts_at": start,
            "signup_deadline": (utcnow() + timedelta(days=1)).isoformat()})
        assert ok.status_code == 200
        signups = await client.api("GET", f"/admin/api/activities/{ok.json()['id']}/signups")
        assert signups.json() == {"items": []}
    assert await _count(runtime, Activity) == 1


async def test_the_announcement_and_activity_lists_export_to_xlsx(runtime):
    yghy = await community_id(runtime, "YGHY")
    async with staff_client(runtime, "kefu") as client:
        await client.submit("/admin/announcements", {"community_id": yghy, "title": "停水通知", "body": "明早停水"})
        sheet = load_workbook(io.BytesIO((await client.http.get("/admin/announcements?format=xlsx")).content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "标题" and rows[1][:2] == ("停水通知", "草稿")
        activities = await client.http.get("/admin/activities?format=xlsx")
        assert list(load_workbook(io.BytesIO(activities.content)).active.iter_rows(values_only=True))[0][0] == "活动"
