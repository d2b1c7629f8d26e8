"""WeChat Pay v3 JSAPI through the wechatpayv3 package against a local fake that speaks the real protocol (real RSA
keys made here, real signatures, AES-GCM resources): prepay and paySign, notifications verified by serial (public
key or platform certificate), stale/tampered/forged ones refused, order queries, closing, refunds, races."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, select

from tests.fakes.wechatpay_server import FakeWechatPay, new_rsa_key, private_pem, public_pem
from tests.workflows.payments.factories import NOTIFY_URL, bound_payer
from workflows.billing.models import Bill, BillStatus
from workflows.clock import utcnow
from workflows.payments.flows import start_payment
from workflows.payments.models import (
    LedgerEntry,
    OrderStatus,
    PaymentIssue,
    PaymentMethod,
    PaymentNotification,
    PaymentOrder,
    Refund,
)
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import PaymentRefused, create_order, mark_prepaid, owner_unpaid_bills
from workflows.payments.providers.wechatpay import WechatPayProvider
from workflows.payments.refunds import request_refund
from workflows.payments.scheduled import run_payment_timers
from workflows.payments.settle import SYSTEM, Settled
from workflows.repairs.service import staff_actor

MERCHANT_KEY = new_rsa_key()


@pytest.fixture
def fake():
    with FakeWechatPay(merchant_public_key=public_pem(MERCHANT_KEY)) as fake:
        yield fake


def provider_for(fake: FakeWechatPay, *, public_key: bool = True, cert_dir: str | None = None) -> WechatPayProvider:
    return WechatPayProvider(mchid=fake.mchid, appid=fake.appid, cert_serial_no="5157F09EFDC096DE15EBE81A47057A72",
                             private_key=private_pem(MERCHANT_KEY), apiv3_key=fake.apiv3_key,
                             public_key=fake.public_key_pem if public_key else None,
                             public_key_id=fake.public_key_id if public_key else None, cert_dir=cert_dir,
                             api_base=fake.base_url)


@pytest.fixture
async def wechatpay(fake):
    provider = provider_for(fake)
    yield provider
    await provider.close_client()


async def _start(runtime, provider, payer, bill_ids=None, total=None):
    return await start_payment(runtime.sessions, provider, link=payer.link(bill_ids, total), notify_url=NOTIFY_URL,
                               description="阳光花园 物业缴费")


async def _order(runtime, out_trade_no) -> PaymentOrder:
    async with runtime.sessions() as session:
        return await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no))


async def test_prepay_gives_the_page_a_pay_sign_over_the_four_lines(any_runtime, fake, wechatpay):
    payer = await bound_payer(any_runtime)
    started = await _start(any_runtime, wechatpay, payer)
    trade = fake.trades[started.out_trade_no]
    assert trade["payer"]["openid"] == payer.openid and trade["amount"]["total"] == payer.total_fen
    assert trade["time_expire"].endswith("+08:00")
    params = started.pay_params
    assert params["package"].startswith("prepay_id=wx") and params["signType"] == "RSA"
    assert params["appId"] == fake.appid and len(params["timeStamp"]) == 10
    message = "\n".join((params["appId"], params["timeStamp"], params["nonceStr"], params["package"])) + "\n"
    MERCHANT_KEY.public_key().verify(base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(),
                                     hashes.SHA256())
    assert (await _order(any_runtime, started.out_trade_no)).status == OrderStatus.PREPAID
    assert fake.rejected_auth == 0


async def test_a_verified_notification_settles_once_and_a_duplicate_gets_204(any_runtime, fake, wechatpay):
    payer = await bound_payer(any_runtime)
    started = await _start(any_runtime, wechatpay, payer)
    fake.pay(started.out_trade_no)
    headers, body = fake.notification(started.out_trade_no)
    first = await handle_payment_notification(any_runtime.sessions, wechatpay, headers, body)
    assert first.answer == Answer.SETTLED
    again = await handle_payment_notification(any_runtime.sessions, wechatpay, headers, body)
    assert again.answer == Answer.NOTHING_CHANGED
    order = await _order(any_runtime, started.out_trade_no)
    assert order.status == OrderStatus.PAID and order.transaction_id.startswith("42000")
    async with any_runtime.sessions() as session:
        assert await owner_unpaid_bills(session, openid=payer.openid) == []
        assert await session.scalar(select(func.count(PaymentNotification.id))) == 1


async def test_the_key_is_chosen_by_serial_and_certificates_work_beside_the_public_key(runtime, fake, tmp_path):
    payer = await bound_payer(runtime)
    both = provider_for(fake, cert_dir=str(tmp_path / "certs"))  # empty folder: downloaded from /v3/certificates
    key_only = provider_for(fake)
    try:
        started = await _start(runtime, both, payer)
        fake.pay(started.out_trade_no)
        by_certificate = fake.notification(started.out_trade_no, signer="certificate")
        assert by_certificate[0]["Wechatpay-Serial"] == fake.certificate_serial
        refused = await handle_payment_notification(runtime.sessions, key_only, *by_certificate)
        assert refused.answer == Answer.REFUSED
        accepted = await handle_payment_notification(runtime.sessions, both, *by_certificate)
        assert accepted.answer == Answer.SETTLED
        assert list((tmp_path / "certs").glob("*.pem"))  # the library kept the certificate it fetched
    finally:
        await both.close_client()
        await key_only.close_client()


@pytest.mark.parametrize("forgery", ["stale", "future", "tampered_body", "tampered_ciphertext", "other_key",
                                     "unknown_key_id", "no_signature", "other_mchid", "not_utf8"])
async def test_forged_stale_or_tampered_notifications_change_nothing(runtime, fake, wechatpay, forgery):
    payer = await bound_payer(runtime)
    started = await _start(runtime, wechatpay, payer)
    fake.pay(started.out_trade_no)
    now = int(utcnow().timestamp())
    stamp = {"stale": now - 301, "future": now + 301}.get(forgery)
    headers, body = fake.notification(started.out_trade_no, timestamp=stamp,
                                      mchid="1900000999" if forgery == "other_mchid" else None)
    if forgery == "tampered_body":
        body = body.replace("支付成功".encode(), "支付失败".encode())
    elif forgery == "tampered_ciphertext":
        data = json.loads(body)
        raw = bytearray(base64.b64decode(data["resource"]["ciphertext"]))
        raw[0] ^= 1
        data["resource"]["ciphertext"] = base64.b64encode(bytes(raw)).decode()
        body = json.dumps(data, ensure_ascii=False).encode()
        headers = fake.signed_headers(body.decode())  # correctly signed, but the AEAD tag fails
    elif forgery == "other_key":
        impostor = FakeWechatPay(merchant_public_key=public_pem(MERCHANT_KEY), apiv3_key=fake.apiv3_key)
        impostor.public_key_id, impostor.trades = fake.public_key_id, fake.trades
        headers, body = impostor.notification(started.out_trade_no)
    elif forgery == "unknown_key_id":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000"
    elif forgery == "no_signature":
        del headers["Wechatpay-Signature"]
    elif forgery == "not_utf8":
        body = b"\xff\xfe" + body
    result = await handle_payment_notification(runtime.sessions, wechatpay, headers, body)
    assert result.answer == Answer.REFUSED, result
    assert (await _order(runtime, started.out_trade_no)).status == OrderStatus.PREPAID
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count(PaymentNotification.id))) == 0


async def test_an_amount_mismatch_is_flagged_and_bills_stay_unpaid(runtime, fake, wechatpay):
    payer = await bound_payer(runtime)
    started = await _start(runtime, wechatpay, payer)
    fake.pay(started.out_trade_no)
    result = await handle_payment_notification(runtime.sessions, wechatpay,
                                               *fake.notification(started.out_trade_no, amount_fen=1))
    assert result.outcome == Settled.AMOUNT_MISMATCH
    async with runtime.sessions() as session:
        assert len(await owner_unpaid_bills(session, openid=payer.openid)) == len(payer.bill_ids)
        assert await session.scalar(select(func.count(PaymentIssue.id))) == 1


async def test_orders_unpaid_after_ten_minutes_are_queried_and_expired_ones_closed(any_runtime, fake, wechatpay):
    payer = await bound_payer(any_runtime)
    paid_quietly = await _start(any_runtime, wechatpay, payer, payer.bill_ids[:1],
                                (await _bills(any_runtime, payer))[0].total_fen)
    fake.pay(paid_quietly.out_trade_no)  # its notification never arrives
    rest = await _bills(any_runtime, payer, payer.bill_ids[1:])
    abandoned = await _start(any_runtime, wechatpay, payer, payer.bill_ids[1:], sum(b.total_fen for b in rest))
    early = await run_payment_timers(any_runtime.sessions, wechatpay, now=utcnow() + timedelta(minutes=5))
    assert early == {"queried": 0, "settled": 0, "expired": 0}
    counts = await run_payment_timers(any_runtime.sessions, wechatpay, now=utcnow() + timedelta(minutes=11))
    assert counts["settled"] == 1 and counts["expired"] == 0
    assert (await _order(any_runtime, paid_quietly.out_trade_no)).status == OrderStatus.PAID
    later = await run_payment_timers(any_runtime.sessions, wechatpay, now=utcnow() + timedelta(minutes=16))
    assert later["expired"] == 1
    assert (await _order(any_runtime, abandoned.out_trade_no)).status == OrderStatus.EXPIRED
    assert fake.trades[abandoned.out_trade_no]["trade_state"] == "CLOSED"


async def _bills(runtime, payer, bill_ids=None):
    async with runtime.sessions() as session:
        return await owner_unpaid_bills(session, openid=payer.openid, bill_ids=bill_ids or payer.bill_ids)


async def test_a_new_order_closes_the_open_one_and_one_paid_meanwhile_is_settled_instead(runtime, fake, wechatpay):
    payer = await bound_payer(runtime)
    first = await _start(runtime, wechatpay, payer)
    some = await _bills(runtime, payer, payer.bill_ids[:2])
    second = await _start(runtime, wechatpay, payer, payer.bill_ids[:2], sum(b.total_fen for b in some))
    assert fake.trades[first.out_trade_no]["trade_state"] == "CLOSED"
    assert (await _order(runtime, first.out_trade_no)).status == OrderStatus.CLOSED
    fake.pay(second.out_trade_no)  # paid in WeChat; the owner opens the page again for all bills
    with pytest.raises(PaymentRefused):
        await _start(runtime, wechatpay, payer)
    assert (await _order(runtime, second.out_trade_no)).status == OrderStatus.PAID


async def test_two_payments_for_one_bill_credit_it_once_and_the_second_is_refunded(runtime, fake, wechatpay):
    payer = await bound_payer(runtime)
    first = await _start(runtime, wechatpay, payer)
    fake.pay(first.out_trade_no)
    # the old order was paid in WeChat just as a second order for the same bills was placed by another device
    async with runtime.sessions() as session:
        bills = await owner_unpaid_bills(session, openid=payer.openid)
        second = await create_order(session, bills=bills, method=PaymentMethod.WECHAT, openid=payer.openid,
                                    actor=SYSTEM)
        await mark_prepaid(session, order=second, prepay_id="wx-second", expires_at=utcnow(), actor=SYSTEM)
        second_no = second.out_trade_no
        await session.commit()
    fake.trades[second_no] = dict(fake.trades[first.out_trade_no], out_trade_no=second_no, trade_state="NOTPAY")
    fake.pay(second_no)
    results = [await handle_payment_notification(runtime.sessions, wechatpay, *fake.notification(no))
               for no in (first.out_trade_no, second_no)]
    assert [r.outcome for r in results] == [Settled.SETTLED, Settled.DOUBLE_PAYMENT]
    refund = await request_refund(runtime.sessions, wechatpay, out_trade_no=second_no, amount_fen=payer.total_fen,
                                  reason="重复支付", actor=staff_actor(payer.staff["caiwu"]), notify_url=NOTIFY_URL)
    assert refund.status == "processing" and fake.refunds[refund.out_refund_no]["amount"]["refund"] == payer.total_fen
    done = await handle_payment_notification(runtime.sessions, wechatpay,
                                             *fake.refund_notification(refund.out_refund_no))
    assert done.answer == Answer.NOTHING_CHANGED and done.outcome == "refunded"
    async with runtime.sessions() as session:
        assert (await session.get(Refund, refund.id)).status == "success"
        assert await session.scalar(select(func.sum(LedgerEntry.amount_fen)).where(
            LedgerEntry.order_id == (await _order(runtime, second_no)).id)) == -payer.total_fen
        paid = await session.scalar(select(func.count(Bill.id)).where(Bill.id.in_(payer.bill_ids),
                                                                      Bill.status == BillStatus.PAID))
        assert paid == len(payer.bill_ids)


def test_the_provider_is_built_from_settings_with_key_files(tmp_path, fake):
    from tests.services import test_settings
    from workflows.payments.providers import build_provider

    (tmp_path / "apiclient_key.pem").write_text(private_pem(MERCHANT_KEY))
    (tmp_path / "pub_key.pem").write_text(fake.public_key_pem)
    settings = test_settings(tmp_path, payments_provider="wechatpay", wechat_appid=fake.appid,
                             wechatpay_mchid=fake.mchid, wechatpay_cert_serial_no="5157F09E",
                             wechatpay_private_key_path=str(tmp_path / "apiclient_key.pem"),
                             wechatpay_apiv3_key=fake.apiv3_key,
                             wechatpay_public_key_path=str(tmp_path / "pub_key.pem"),
                             wechatpay_public_key_id=fake.public_key_id, wechatpay_api_base=fake.base_url)
    provider = build_provider(settings)
    assert isinstance(provider, WechatPayProvider) and not provider.sandbox and provider.mchid == fake.mchid
    with pytest.raises(ValueError):  # no verification key of any kind
        build_provider(settings.model_copy(update={"wechatpay_public_key_path": "", "wechatpay_public_key_id": ""}))
    assert build_provider(test_settings(tmp_path)).sandbox
