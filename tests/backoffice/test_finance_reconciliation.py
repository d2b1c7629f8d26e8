"""收费 → 对账 and 银行代扣 pages: a trade bill imported for the sandbox shows the day's differences (exported as
xlsx); a bank's result file settles its rows with receipts, and a file with a bad row is refused whole."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.backoffice.helpers import staff_client
from tests.fakes.wechatpay_server import trade_bill_csv
from tests.workflows.payments.factories import NOTIFY_URL, bound_payer, sandbox
from workflows.billing.models import Bill, BillStatus
from workflows.billing.pricing import yuan
from workflows.clock import local, utcnow
from workflows.payments.flows import start_payment
from workflows.payments.models import PaymentOrder
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import owner_unpaid_bills


async def test_an_imported_sandbox_bill_shows_the_days_differences_and_exports_them(runtime):
    payer = await bound_payer(runtime)
    provider = sandbox(runtime)
    async with runtime.sessions() as session:
        bill = (await owner_unpaid_bills(session, openid=payer.openid))[0]
    started = await start_payment(runtime.sessions, provider, link=payer.link([bill.id], bill.total_fen),
                                  notify_url=NOTIFY_URL, description="物业费")
    assert (await handle_payment_notification(runtime.sessions, provider, *provider.pay(started.out_trade_no))
            ).answer == Answer.SETTLED
    day = local(utcnow()).date()
    content = trade_bill_csv([{"out_trade_no": started.out_trade_no, "amount_fen": bill.total_fen},
                              {"out_trade_no": "YGHY-JF-20261207-0999", "amount_fen": 5000}],
                             mchid="sandbox", appid="wx").encode()
    async with staff_client(runtime, "caiwu") as client:
        page = await client.page("/admin/finance/reconciliation")
        assert page.status_code == 200 and "导入账单文件" in page.text and "获取并对账" not in page.text  # sandbox
        refused = await client.submit("/admin/finance/reconciliation/fetch", {"day": str(day)})
        assert refused.status_code == 303
        damaged = await client.submit("/admin/finance/reconciliation/import", {"day": str(day)},
                                      files={"bill": ("bill.csv", content.replace(b"`50.00", b"`50.001"))})
        assert damaged.status_code == 303 and damaged.headers["location"] == "/admin/finance/reconciliation"
        imported = await client.submit("/admin/finance/reconciliation/import", {"day": str(day)},
                                       files={"bill": ("bill.csv", content)})
        assert imported.status_code == 303 and imported.headers["location"].endswith(f"day={day}")
        result = await client.page(imported.headers["location"])
        assert "YGHY-JF-20261207-0999" in result.text and "对账：微信有、本地无" in result.text
        assert "导入文件" in result.text
        export = await client.http.get(f"/admin/finance/reconciliation?day={day}&format=xlsx")
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert rows[0][:2] == ("类型", "商户订单号") and [r[1] for r in rows[1:]] == ["YGHY-JF-20261207-0999"]
        listing = await client.http.get("/admin/finance/reconciliation?format=xlsx")
        rows = list(load_workbook(io.BytesIO(listing.content)).active.iter_rows(values_only=True))
        assert str(rows[1][0])[:10] == str(day)
        assert [str(value) for value in rows[1][6:8]] == ["1", "1"]  # one matched, one paid there only
    async with staff_client(runtime, "kefu") as client:
        assert (await client.page("/admin/finance/reconciliation")).status_code == 403


async def test_a_bank_result_file_settles_with_receipts_and_a_bad_file_applies_nothing(runtime):
    payer = await bound_payer(runtime)
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=payer.openid)
        orders_before = await session.scalar(select(func.count(PaymentOrder.id)))
    household, owed = bills[0].household, sum(b.total_fen for b in bills)
    header = "户号,金额,状态,银行流水号,失败原因\n"
    bad = (header + f"{household},{yuan(owed)},成功,B1,\n9栋9单元909,10.00,成功,B2,\n").encode()
    good = (header + f"{household},{yuan(owed)},成功,B1,\n2栋1单元101,50.00,失败,B3,账户余额不足\n").encode()
    async with staff_client(runtime, "caiwu") as client:
        assert "银行流水号" in (await client.page("/admin/finance/bank-debits")).text
        refused = await client.submit("/admin/finance/bank-debits", {"community_id": str(payer.community_id)},
                                      files={"debits": ("result.csv", bad)})
        assert refused.status_code == 400 and "没有导入" in refused.text and "没有这个房屋" in refused.text
        async with runtime.sessions() as session:
            assert await session.scalar(select(func.count(PaymentOrder.id))) == orders_before
        owed_more = (header + f"{household},{yuan(owed + 1)},成功,B1,\n").encode()
        differs = await client.submit("/admin/finance/bank-debits", {"community_id": str(payer.community_id)},
                                      files={"debits": ("result.csv", owed_more)})
        assert differs.status_code == 400 and "与应缴" in differs.text
        done = await client.submit("/admin/finance/bank-debits", {"community_id": str(payer.community_id)},
                                   files={"debits": ("result.csv", good)})
        assert done.status_code == 200 and "核销 1 笔" in done.text and "扣款失败 1 笔" in done.text
        assert "/admin/finance/receipts/YGHY-SJ-" in done.text and "账户余额不足" in done.text
        again = await client.submit("/admin/finance/bank-debits", {"community_id": str(payer.community_id)},
                                    files={"debits": ("result.csv", good)})
        assert "核销 0 笔，已导入过 1 笔" in again.text
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(Bill.id)).where(
            Bill.id.in_([b.id for b in bills]), Bill.status == BillStatus.UNPAID)) == 0
    async with staff_client(runtime, "kefu") as client:
        assert (await client.page("/admin/finance/bank-debits")).status_code == 403
