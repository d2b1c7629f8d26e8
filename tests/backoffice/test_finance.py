"""收费 pages: roles and scoping, fee items with errors beside the field, bill runs previewed before commit,
arrears by building, offline payments through the settling service with a printable receipt, finance items, xlsx."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.backoffice.helpers import staff_client
from tests.workflows.billing.factories import billing_demo
from workflows.billing.models import Bill, BillStatus, FeeItem
from workflows.community.models import Household
from workflows.db import transaction
from workflows.payments.models import PaymentIssue


@pytest.mark.parametrize(("username", "status"), [("caiwu", 200), ("kefu", 403), ("wang.shifu", 403)])
async def test_only_finance_and_managers_see_the_finance_pages(runtime, username, status):
    async with staff_client(runtime, username) as client:
        assert (await client.page("/admin/finance/bills")).status_code == status


async def test_a_bad_price_or_an_overlap_is_shown_beside_its_field_and_nothing_is_saved(runtime):
    form = {"community_id": "1", "name": "电梯费", "kind": "fixed", "unit_price": "-5", "unit": "户",
            "cycle": "monthly", "mode": "prepaid", "due_day": "15", "effective_from": "2027-01-01"}
    async with staff_client(runtime, "caiwu") as client:
        refused = await client.submit("/admin/finance/fee-items", form)
        assert refused.status_code == 400 and 'id="err-unit_price"' in refused.text and "负数" in refused.text
        overlap = await client.submit("/admin/finance/fee-items", {**form, "name": "物业费", "kind": "area",
                                                                   "unit_price": "3.2"})
        assert overlap.status_code == 400 and 'id="err-effective_from"' in overlap.text
        absurd = await client.submit("/admin/finance/fee-items", {**form, "kind": "area", "unit_price": "280"})
        assert absurd.status_code == 400 and "不合常理" in absurd.text
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count(FeeItem.id)).where(FeeItem.name == "电梯费")) == 0
        saved = await client.submit("/admin/finance/fee-items", {**form, "unit_price": "15"})
        assert saved.status_code == 303
        assert "电梯费" in (await client.page("/admin/finance/fee-items")).text
        export = await client.http.get("/admin/finance/fee-items?format=xlsx")
        assert [row[1] for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)][0] \
            == "名称"


async def test_a_bill_run_is_previewed_then_committed_once(runtime):
    async with staff_client(runtime, "caiwu") as client:
        preview = await client.submit("/admin/finance/runs/preview", {"community_id": "1", "period": "2027-01"})
        assert preview.status_code == 200 and "将新增" in preview.text and "确认生成" in preview.text
        new_lines = int(re.search(r"将新增 <strong>(\d+)</strong>", preview.text).group(1))
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count(Bill.id)).where(Bill.period == "2027-01")) == 0
        committed = await client.submit("/admin/finance/runs/commit", {"community_id": "1", "period": "2027-01"})
        assert committed.status_code == 303
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count(Bill.id)).where(Bill.period == "2027-01")) == new_lines
        again = await client.submit("/admin/finance/runs/preview", {"community_id": "1", "period": "2027-01"})
        assert "将新增 <strong>0</strong>" in again.text
        bad = await client.submit("/admin/finance/runs/preview", {"community_id": "1", "period": "2027-13"})
        assert bad.status_code == 400 and 'id="err-period"' in bad.text
        other = await client.submit("/admin/finance/runs/preview", {"community_id": "2", "period": "2027-01"})
        assert other.status_code == 404  # 翠湖苑 is not 孙会计's community


async def test_arrears_by_building_and_an_offline_payment_with_its_receipt(runtime):
    demo = await billing_demo(runtime)
    async with staff_client(runtime, "caiwu") as client:
        page = await client.page("/admin/finance/bills?period=2026-11")
        assert page.status_code == 200 and "1栋" in page.text and "欠费（按楼栋）" in page.text
        arrears = await client.http.get("/admin/finance/bills?period=2026-11&view=arrears&format=xlsx")
        rows = list(load_workbook(io.BytesIO(arrears.content)).active.iter_rows(values_only=True))
        assert rows[0][0] == "楼栋" and len(rows) == 7  # six buildings
        household = await client.page(f"/admin/finance/households/{demo.household_id}")
        bill_ids = re.findall(r'name="bill_id" value="(\d+)"', household.text)
        assert bill_ids
        paid = await client.submit(f"/admin/finance/households/{demo.household_id}/pay",
                                   {"bill_id": bill_ids, "method": "cash", "note": "现金 孙会计"})
        assert paid.status_code == 303 and "/admin/finance/receipts/YGHY-SJ-" in paid.headers["location"]
        receipt = await client.page(paid.headers["location"])
        assert receipt.status_code == 200 and "收据" in receipt.text and "现金" in receipt.text
        assert "window.print()" in receipt.text
        async with runtime.sessions() as session:
            unpaid = await session.scalar(select(func.count(Bill.id)).where(
                Bill.household_id == demo.household_id, Bill.status == BillStatus.UNPAID))
        assert unpaid == 0
        payments = await client.page("/admin/finance/payments")
        assert "现金" in payments.text
        export = await client.http.get("/admin/finance/payments?format=xlsx")
        assert export.status_code == 200


async def test_another_communitys_household_is_a_404(runtime):
    async with runtime.sessions() as session:
        other = await session.scalar(select(Household.id).where(Household.community_id == 2).limit(1))
    async with staff_client(runtime, "caiwu") as client:
        assert (await client.page(f"/admin/finance/households/{other}")).status_code == 404
        refused = await client.submit(f"/admin/finance/households/{other}/pay", {"bill_id": "1", "method": "cash"})
        assert refused.status_code == 404


async def test_finance_items_are_listed_and_resolved(runtime):
    async with transaction(runtime.sessions) as session:
        session.add(PaymentIssue(community_id=1, kind="amount_mismatch", detail="支付金额与订单不符：测试",
                                 dedup_key="test-issue"))
    async with staff_client(runtime, "caiwu") as client:
        page = await client.page("/admin/finance/issues")
        assert "金额不符" in page.text and "支付金额与订单不符" in page.text
        issue_id = re.search(r"/admin/finance/issues/(\d+)/resolve", page.text).group(1)
        assert (await client.submit(f"/admin/finance/issues/{issue_id}/resolve")).status_code == 303
        assert "没有待处理的事项" in (await client.page("/admin/finance/issues")).text
