"""数据分析 and 操作记录: honest figures (empty modules → empty charts), exports, roles, scoping."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.backoffice.factories import raise_escalation
from tests.backoffice.helpers import staff_client
from workflows.db import transaction
from workflows.escalations.models import Escalation


async def test_the_dashboard_shows_the_queue_and_charts_without_made_up_numbers(runtime):
    escalation_id = await raise_escalation(runtime)
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        escalation.first_response_at = escalation.created_at + timedelta(minutes=12)
    await raise_escalation(runtime, openid="another-owner")
    async with staff_client(runtime, "manager") as client:
        page = await client.page("/admin/dashboard")
        assert page.status_code == 200
        assert page.text.count("<svg") == 5 and "暂未开通" not in page.text  # every module is built now
        assert "入住率" in page.text and "12" in page.text  # the 12-minute first response is plotted
        api = (await client.api("GET", "/admin/api/dashboard")).json()
        assert api["escalations"]["open"] == 2
        assert api["series"]["payment_rate"]["available"] is True  # billing's demo months: see tests/workflows/billing
        assert 12.0 in api["series"]["first_response"]["values"]
        assert sum(api["series"]["occupancy"]["values"]) == 96  # 阳光花园's households only
        export = await client.http.get("/admin/dashboard/export/occupancy")
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert rows[0] == ("项目", "数值（户）") and [r[0] for r in rows[1:]] == ["自住", "出租", "空置"]


async def test_a_technician_opening_the_finance_figures_gets_403(runtime):
    async with staff_client(runtime, "wang.shifu") as client:
        response = await client.page("/admin/dashboard")
        assert response.status_code == 403 and "没有这个页面的权限" in response.text
        assert (await client.http.get("/admin/dashboard/export/payment_rate")).status_code == 403
        assert (await client.http.get("/admin/audit")).status_code == 403
    async with staff_client(runtime, "caiwu") as finance:
        assert (await finance.page("/admin/dashboard")).status_code == 200


async def test_the_audit_log_shows_who_did_what_in_their_own_community_only(runtime):
    ours = await raise_escalation(runtime)
    theirs = await raise_escalation(runtime, openid="cuihu-owner", code="CHY")
    async with staff_client(runtime, "kefu") as kefu:
        await kefu.submit(f"/admin/escalations/{ours}/claim")
    async with staff_client(runtime, "manager") as client:
        page = await client.page("/admin/audit?entity=escalation")
        assert "小林" in page.text and f"转人工 #{ours}" in page.text
        assert f"转人工 #{theirs}" not in page.text
        export = await client.http.get("/admin/audit?format=xlsx")
        assert export.status_code == 200 and export.content[:2] == b"PK"


async def test_each_role_lands_on_its_own_first_page(runtime):
    async with staff_client(runtime, "manager") as manager:
        assert (await manager.http.get("/admin/")).headers["location"] == "/admin/dashboard"
    async with staff_client(runtime, "baoan") as guard:
        assert (await guard.http.get("/admin/")).headers["location"] in ("/admin/me", "/admin/visitors")
