"""Daily reconciliation (对账): WeChat Pay's trade bill — fetched through wechatpayv3 from the fake WeChat Pay, or
imported as the CSV for the sandbox — against the orders paid here, both ways, each difference one finance item."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.fakes.wechatpay_server import FakeWechatPay, public_pem, trade_bill_csv
from tests.workflows.payments.factories import NOTIFY_URL, bound_payer, sandbox
from tests.workflows.payments.test_wechatpay import MERCHANT_KEY, provider_for
from workflows.clock import SHANGHAI, local, utcnow
from workflows.db import transaction
from workflows.payments.flows import start_payment
from workflows.payments.models import PaymentIssue, PaymentOrder, Reconciliation
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import owner_unpaid_bills
from workflows.payments.reconciliation import (
    TradeBillInvalid,
    fetch_and_reconcile,
    parse_trade_bill,
    reconcile,
    run_daily_reconciliation,
)


def test_the_bill_csv_loses_its_backticks_and_its_yuan_become_fen():
    content = trade_bill_csv([{"out_trade_no": "YGHY-JF-20261207-0001", "amount_fen": 36850},
                              {"out_trade_no": "YGHY-JF-20261207-0002", "amount_fen": 1},
                              {"out_trade_no": "YGHY-JF-20261206-0009", "amount_fen": 20000, "state": "REFUND",
                               "refund_fen": 20000}], mchid="1900000109", appid="wxapp")
    assert content.count("`") > 50
    bill = parse_trade_bill(content)
    assert [(t.out_trade_no, t.state, t.amount_fen, t.refund_fen) for t in bill.trades] == [
        ("YGHY-JF-20261207-0001", "SUCCESS", 36850, 0), ("YGHY-JF-20261207-0002", "SUCCESS", 1, 0),
        ("YGHY-JF-20261206-0009", "REFUND", 20000, 20000)]
    assert [t.out_trade_no for t in bill.payments] == ["YGHY-JF-20261207-0001", "YGHY-JF-20261207-0002"]
    assert bill.summary["总交易单数"] == "3" and bill.summary["应结订单总金额"] == "368.51"
    assert parse_trade_bill("").trades == []


@pytest.mark.parametrize("damage, reason", [
    (lambda c: c.replace("`368.50", "`368.505"), "最多两位小数"),
    (lambda c: c.replace("`368.50", "`三百"), "不是数字"),
    (lambda c: c.replace("商户订单号", "订单", 1), "表头缺少"),
    (lambda c: c.replace("\r\n`1,", "\r\n`2,", 1), "文件可能不完整"),
])
def test_a_damaged_bill_is_refused_with_the_reason(damage, reason):
    content = trade_bill_csv([{"out_trade_no": "YGHY-JF-20261207-0001", "amount_fen": 36850}],
                             mchid="1900000109", appid="wxapp")
    with pytest.raises(TradeBillInvalid, match=reason):
        parse_trade_bill(damage(content))


@pytest.fixture
def fake():
    with FakeWechatPay(merchant_public_key=public_pem(MERCHANT_KEY)) as fake:
        yield fake


async def _pay_one_bill_each(runtime, provider, payer, count, *, deliver):
    """`count` orders of one bill each, paid; `deliver(out_trade_no)` returns the provider's signed notification."""
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=payer.openid)
    assert len(bills) >= count
    numbers = []
    for bill in bills[:count]:
        started = await start_payment(runtime.sessions, provider, link=payer.link([bill.id], bill.total_fen),
                                      notify_url=NOTIFY_URL, description="阳光花园 物业缴费")
        result = await handle_payment_notification(runtime.sessions, provider, *deliver(started.out_trade_no))
        assert result.answer == Answer.SETTLED
        numbers.append(started.out_trade_no)
    return numbers


async def _issues(runtime) -> list[PaymentIssue]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(PaymentIssue).order_by(PaymentIssue.id)))


async def test_the_daily_job_fetches_the_trade_bill_and_reports_differences_both_ways_once(any_runtime, fake):
    provider = provider_for(fake)
    try:
        payer = await bound_payer(any_runtime)

        def deliver(out_trade_no):
            fake.pay(out_trade_no)
            return fake.notification(out_trade_no)

        matched, differs, hidden = await _pay_one_bill_each(any_runtime, provider, payer, 3, deliver=deliver)
        fake.bill_amounts[differs] = fake.trades[differs]["amount"]["total"] + 1  # WeChat says 1 fen more
        fake.bill_hidden.add(hidden)  # paid here, not in WeChat's bill
        day = local(utcnow()).date()
        fake.bill_extra.append({"out_trade_no": "YGHY-JF-20261207-9999", "amount_fen": 12345,  # unknown here
                                "day": day.isoformat()})
        before_ten = datetime.combine(day + timedelta(days=1), time(9, 30), tzinfo=SHANGHAI)
        assert await run_daily_reconciliation(any_runtime.sessions, provider, now=before_ten) is None  # not yet out
        next_morning = datetime.combine(day + timedelta(days=1), time(10, 30), tzinfo=SHANGHAI)
        row = await run_daily_reconciliation(any_runtime.sessions, provider, now=next_morning)
        assert row is not None and row.source == "api" and row.bill_date == day
        assert (row.trades_there, row.paid_here, row.matched) == (3, 3, 1)
        assert (row.missing_here, row.missing_there, row.amount_differs) == (1, 1, 1)
        issues = {issue.kind: issue for issue in await _issues(any_runtime)}
        assert set(issues) == {"recon_missing_here", "recon_missing_there", "recon_amount"}
        assert issues["recon_missing_here"].community_id == payer.community_id  # from the YGHY- prefix
        assert issues["recon_missing_here"].data["there_fen"] == 12345
        async with any_runtime.sessions() as session:
            order = await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == differs))
        assert issues["recon_amount"].order_id == order.id
        assert issues["recon_amount"].data == {"day": day.isoformat(), "out_trade_no": differs,
                                               "there_fen": order.paid_fen + 1, "here_fen": order.paid_fen}
        assert hidden in issues["recon_missing_there"].data["out_trade_no"]

        # the scheduler calls it again every pass: the day is done, nothing more
        assert await run_daily_reconciliation(any_runtime.sessions, provider, now=next_morning) is None
        # done again by hand (a re-fetch): the row is replaced, the inbox items are not repeated
        again = await fetch_and_reconcile(any_runtime.sessions, provider, day=day, run_by="finance")
        assert again.id == row.id and again.run_by == "finance"
        assert len(await _issues(any_runtime)) == 3
        async with any_runtime.sessions() as session:
            assert await session.scalar(select(func.count(Reconciliation.id))) == 1
        # a day without trades: WeChat answers NO_STATEMENT_EXIST, which is an empty bill, not an error
        quiet = await fetch_and_reconcile(any_runtime.sessions, provider, day=day - timedelta(days=3))
        assert (quiet.trades_there, quiet.paid_here, quiet.missing_here) == (0, 0, 0)
        assert fake.rejected_auth == 0
    finally:
        await provider.close_client()


async def test_the_sandbox_reconciles_an_imported_bill(any_runtime):
    provider = sandbox(any_runtime)
    payer = await bound_payer(any_runtime)
    paid = await _pay_one_bill_each(any_runtime, provider, payer, 2, deliver=provider.pay)
    day = local(utcnow()).date()
    assert await run_daily_reconciliation(any_runtime.sessions, provider,
                                          now=datetime.combine(day + timedelta(days=1), time(11), SHANGHAI)) is None
    async with any_runtime.sessions() as session:
        amounts = dict((await session.execute(select(PaymentOrder.out_trade_no, PaymentOrder.paid_fen))).all())
    bill = parse_trade_bill(trade_bill_csv([{"out_trade_no": no, "amount_fen": amounts[no]} for no in paid],
                                           mchid="sandbox", appid="wx"))
    async with transaction(any_runtime.sessions) as session:
        row, differences = await reconcile(session, provider="sandbox", day=day, bill=bill, source="import",
                                           filename="sandbox.csv", run_by="finance")
    assert differences == []
    assert (row.matched, row.paid_here, row.paid_here_fen) == (2, 2, sum(amounts[no] for no in paid))
    assert await _issues(any_runtime) == []
