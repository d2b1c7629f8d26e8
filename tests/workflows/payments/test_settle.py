"""Paying bills through the one settling service: the sandbox's signed notification, duplicates, forgeries,
amount mismatches, unknown orders, offline payments and two payments racing for one bill (SQLite and PostgreSQL)."""

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.workflows.payments.factories import NOTIFY_URL, bound_payer, sandbox
from workflows.billing.models import Bill, BillStatus
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage
from workflows.payments.flows import start_payment
from workflows.payments.models import (
    LedgerEntry,
    OrderStatus,
    PaymentIssue,
    PaymentMethod,
    PaymentNotification,
    PaymentOrder,
    Receipt,
)
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import PaymentRefused, create_order, owner_unpaid_bills, record_offline_payment
from workflows.payments.providers.sandbox import SIGNATURE, TIMESTAMP
from workflows.payments.settle import SYSTEM, Settled, settle_payment
from workflows.repairs.service import staff_actor


async def _snapshot(runtime):
    async with runtime.sessions() as session:
        return (await session.scalar(select(func.count(Bill.id)).where(Bill.status == BillStatus.PAID)),
                await session.scalar(select(func.count(LedgerEntry.id))),
                await session.scalar(select(func.count(Receipt.id))),
                await session.scalar(select(func.count(PaymentNotification.id))))


async def test_paying_on_the_sandbox_settles_every_bill_once(any_runtime):
    payer = await bound_payer(any_runtime)
    provider = sandbox(any_runtime)
    started = await start_payment(any_runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                  description="物业费")
    assert started.amount_fen == payer.total_fen and started.pay_params["prepay_id"].startswith("sandbox_")
    headers, body = provider.pay(started.out_trade_no)
    result = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
    assert result.answer == Answer.SETTLED
    async with any_runtime.sessions() as session:
        order = await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == started.out_trade_no))
        assert order.status == OrderStatus.PAID and order.paid_fen == payer.total_fen
        assert await owner_unpaid_bills(session, openid=payer.openid) == []
        receipt = await session.scalar(select(Receipt).where(Receipt.order_id == order.id))
        assert receipt.number.startswith("YGHY-SJ-") and receipt.amount_fen == payer.total_fen
        assert len(receipt.items) == len(payer.bill_ids)
        ledger = await session.scalar(select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.order_id == order.id))
        assert ledger == payer.total_fen
        message = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == f"paid:{order.id}"))
        assert message.payload["openid"] == payer.openid and receipt.number in message.payload["text"]
    # the same notification again, and a second notification id for the same payment: 204, nothing changes
    before = await _snapshot(any_runtime)
    again = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
    other = await handle_payment_notification(any_runtime.sessions, provider,
                                              *provider.notification_for(started.out_trade_no,
                                                                         amount_fen=payer.total_fen,
                                                                         notification_id="another-id"))
    assert (again.answer, other.answer) == (Answer.NOTHING_CHANGED, Answer.NOTHING_CHANGED)
    assert other.outcome == Settled.ALREADY_PAID
    after = await _snapshot(any_runtime)
    assert after[:3] == before[:3] and after[3] == before[3] + 1


@pytest.mark.parametrize("tamper", ["signature", "body", "stale", "future", "missing"])
async def test_a_forged_tampered_or_stale_notification_changes_nothing(runtime, tamper):
    payer = await bound_payer(runtime)
    provider = sandbox(runtime)
    started = await start_payment(runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                  description="物业费")
    now = utcnow()
    if tamper in ("stale", "future"):
        moment = now - timedelta(minutes=6) if tamper == "stale" else now + timedelta(minutes=6)
        headers, body = provider.notification_for(started.out_trade_no, amount_fen=payer.total_fen, now=moment)
    else:
        headers, body = provider.notification_for(started.out_trade_no, amount_fen=payer.total_fen)
    if tamper == "signature":
        headers[SIGNATURE] = "0" * 64
    elif tamper == "body":
        body = body.replace(b'"total": %d' % payer.total_fen, b'"total": 1')
    elif tamper == "missing":
        del headers[TIMESTAMP]
    forged = sandbox(runtime) if tamper == "signature" else provider
    before = await _snapshot(runtime)
    result = await handle_payment_notification(runtime.sessions, forged, headers, body, now=now)
    assert result.answer == Answer.REFUSED
    assert await _snapshot(runtime) == before


async def test_a_notification_from_another_merchant_is_refused(runtime):
    payer = await bound_payer(runtime)
    provider = sandbox(runtime)
    started = await start_payment(runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                  description="物业费")
    provider.mchid = "someone-else"
    headers, body = provider.notification_for(started.out_trade_no, amount_fen=payer.total_fen)
    provider.mchid = "sandbox"
    result = await handle_payment_notification(runtime.sessions, provider, headers, body)
    assert result.answer == Answer.REFUSED


async def test_an_amount_mismatch_is_flagged_and_the_bills_stay_unpaid(any_runtime):
    payer = await bound_payer(any_runtime)
    provider = sandbox(any_runtime)
    started = await start_payment(any_runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                  description="物业费")
    headers, body = provider.notification_for(started.out_trade_no, amount_fen=payer.total_fen - 100)
    result = await handle_payment_notification(any_runtime.sessions, provider, headers, body)
    assert result.outcome == Settled.AMOUNT_MISMATCH
    async with any_runtime.sessions() as session:
        assert len(await owner_unpaid_bills(session, openid=payer.openid)) == len(payer.bill_ids)
        issue = await session.scalar(select(PaymentIssue).where(PaymentIssue.kind == "amount_mismatch"))
        assert issue is not None and "应付" in issue.detail
        order = await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == started.out_trade_no))
        assert order.status == OrderStatus.PREPAID


async def test_a_notification_for_an_unknown_order_is_answered_for_a_retry_and_flagged_once(runtime):
    provider = sandbox(runtime)
    headers, body = provider.notification_for("YGHY-JF-20261207-9999", amount_fen=100, notification_id="n-unknown")
    for _ in range(2):
        result = await handle_payment_notification(runtime.sessions, provider, headers, body)
        assert result.answer == Answer.RETRY_LATER
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(PaymentIssue.id)).where(
            PaymentIssue.kind == "unknown_order")) == 1
        assert await session.scalar(select(func.count(PaymentNotification.id))) == 0


async def test_two_payments_racing_for_one_bill_credit_it_once_and_flag_the_other(any_runtime):
    payer = await bound_payer(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        bills = await owner_unpaid_bills(session, openid=payer.openid)
        first = await create_order(session, bills=bills[:2], method=PaymentMethod.SANDBOX, openid=payer.openid,
                                   actor=SYSTEM)
        second = await create_order(session, bills=bills[1:3], method=PaymentMethod.SANDBOX, openid=payer.openid,
                                    actor=SYSTEM)
        orders = [(first.out_trade_no, first.amount_fen), (second.out_trade_no, second.amount_fen)]

    async def pay(out_trade_no, amount):
        async with transaction(any_runtime.sessions) as session:
            return (await settle_payment(session, out_trade_no=out_trade_no, amount_fen=amount,
                                         transaction_id=f"tx-{out_trade_no}")).outcome

    outcomes = await asyncio.gather(*(pay(*order) for order in orders))
    assert sorted(outcomes) == sorted([Settled.SETTLED, Settled.DOUBLE_PAYMENT])
    async with any_runtime.sessions() as session:
        paid = list(await session.scalars(select(Bill.id).where(Bill.id.in_([b.id for b in bills[:3]]),
                                                                Bill.status == BillStatus.PAID)))
        assert len(paid) == 2  # the winner's two bills; the loser's other bill was not credited
        issue = await session.scalar(select(PaymentIssue).where(PaymentIssue.kind == "double_payment"))
        assert issue.data["refund_due"] is True
        assert await session.scalar(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.bill_id.in_([b.id for b in bills[:3]]))) == 2


async def test_staff_record_an_offline_payment_through_the_same_settling(any_runtime):
    payer = await bound_payer(any_runtime)
    finance = staff_actor(payer.staff["caiwu"])
    async with transaction(any_runtime.sessions) as session:
        result = await record_offline_payment(session, household_ids=[payer.household_id],
                                              bill_ids=payer.bill_ids[:1], method=PaymentMethod.CASH,
                                              actor=finance, note="现金 收款人孙会计")
    assert result.outcome == Settled.SETTLED and result.receipt.method == PaymentMethod.CASH
    with pytest.raises(PaymentRefused):  # paid already
        async with transaction(any_runtime.sessions) as session:
            await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=payer.bill_ids[:1],
                                         method=PaymentMethod.POS, actor=finance)
    with pytest.raises(PaymentRefused):  # not an offline method
        async with transaction(any_runtime.sessions) as session:
            await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=payer.bill_ids[1:2],
                                         method=PaymentMethod.WECHAT, actor=finance)


async def test_a_reloaded_page_reuses_its_order_and_a_changed_selection_closes_it(runtime):
    payer = await bound_payer(runtime)
    provider = sandbox(runtime)
    first = await start_payment(runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                description="物业费")
    again = await start_payment(runtime.sessions, provider, link=payer.link(), notify_url=NOTIFY_URL,
                                description="物业费")
    assert again.out_trade_no == first.out_trade_no
    async with runtime.sessions() as session:
        some = await owner_unpaid_bills(session, openid=payer.openid, bill_ids=payer.bill_ids[:1])
    fewer = await start_payment(runtime.sessions, provider,
                                link=payer.link(payer.bill_ids[:1], some[0].total_fen), notify_url=NOTIFY_URL,
                                description="物业费")
    assert fewer.out_trade_no != first.out_trade_no
    async with runtime.sessions() as session:
        old = await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == first.out_trade_no))
    assert old.status == OrderStatus.CLOSED
    assert (await provider.query(first.out_trade_no)).state == "CLOSED"
    with pytest.raises(PaymentRefused):  # the link says another total than the bills now cost
        await start_payment(runtime.sessions, provider, link=payer.link(total_fen=payer.total_fen - 1),
                            notify_url=NOTIFY_URL, description="物业费")


async def test_body_is_plain_json_the_provider_signed(runtime):
    provider = sandbox(runtime)
    headers, body = provider.notification_for("X-1", amount_fen=1)
    assert json.loads(body)["event_type"] == "TRANSACTION.SUCCESS" and set(headers) >= {SIGNATURE, TIMESTAMP}


async def test_the_payment_rate_by_month_is_paid_principal_over_billed(runtime):
    from workflows.analytics.queries import payment_rate_by_month
    from workflows.clock import SHANGHAI

    async with runtime.sessions() as session:
        billed, paid = (await session.execute(select(
            func.sum(Bill.amount_fen), func.sum(Bill.amount_fen).filter(Bill.status == BillStatus.PAID))
            .where(Bill.period == "2026-11", Bill.community_id == 1))).one()
        series = await payment_rate_by_month(session, community_ids={1}, now=utcnow().replace(year=2026, month=12),
                                             tz=SHANGHAI)
    rates = dict(zip(series.labels, series.values, strict=True))
    assert 50 < rates["2026-11"] == round(100 * paid / billed, 1) < 100  # the demo's November, mostly paid
    assert rates["2026-12"] == 0.0 and rates["2026-07"] is None
