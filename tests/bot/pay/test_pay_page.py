"""The payment page over HTTP: a signed link opens it (labelled 沙箱), an edited link or another openid is refused,
the sandbox pays through the signed-notification endpoint, the status says paid with the receipt number."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bot.pay.routes import pay_router
from tests.workflows.payments.factories import bound_payer
from workflows.payments.links import LinkRefused, make_pay_token, read_pay_token
from workflows.payments.providers import build_provider


@pytest.fixture
async def client(runtime):
    app = FastAPI()  # the /pay routes alone, as linli.payments mounts them (the whole app: tests/linli)
    app.state.payments_provider = build_provider(runtime.settings)
    app.include_router(pay_router(runtime, app.state.payments_provider))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli") as client:
        client.app = app
        yield client


def _token(runtime, payer, **changes):
    values = {"openid": payer.openid, "bill_ids": payer.bill_ids, "total_fen": payer.total_fen, **changes}
    return make_pay_token(runtime.settings.secret_key, **values)


async def test_paying_on_the_sandbox_page(client, runtime):
    payer = await bound_payer(runtime)
    token = _token(runtime, payer)
    page = await client.get(f"/pay/{token}")
    assert page.status_code == 200 and "沙箱" in page.text and "沙箱付款" in page.text
    order = (await client.post(f"/pay/{token}/order")).json()
    assert order["sandbox"] is True and order["out_trade_no"].startswith("YGHY-JF-")
    paid = await client.post(f"/pay/{token}/sandbox/{order['out_trade_no']}")
    assert paid.status_code == 200 and paid.json()["notification"] == "settled"
    status = (await client.get(f"/pay/{token}/status/{order['out_trade_no']}")).json()
    assert status["status"] == "paid" and status["receipt"].startswith("YGHY-SJ-")
    again = await client.get(f"/pay/{token}")
    assert again.status_code == 409 and "已经缴清" in again.text


async def test_an_edited_or_foreign_link_is_refused(client, runtime):
    payer = await bound_payer(runtime)
    token = _token(runtime, payer)
    edited = _token(runtime, payer, total_fen=1)  # signed by us but for another amount: the bills cost more
    assert (await client.get(f"/pay/{edited}")).status_code == 409
    assert (await client.post(f"/pay/{edited}/order")).status_code == 409
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (await client.get(f"/pay/{tampered}")).status_code == 403
    assert (await client.post(f"/pay/{tampered}/order")).status_code == 403
    assert (await client.get(f"/pay/{token}", params={"openid": "o-someone-else"})).status_code == 403
    forged = make_pay_token("another-secret", openid=payer.openid, bill_ids=payer.bill_ids, total_fen=1)
    assert (await client.get(f"/pay/{forged}")).status_code == 403
    not_his = _token(runtime, payer, openid="o-not-bound")
    assert (await client.post(f"/pay/{not_his}/order")).status_code == 409


def test_an_expired_link_is_refused(runtime):
    token = make_pay_token("k", openid="o", bill_ids=[1], total_fen=1)
    with pytest.raises(LinkRefused, match="expired"):
        read_pay_token("k", token, max_age_s=-1)


async def test_the_notification_endpoint_refuses_forgeries_and_answers_duplicates_204(client, runtime):
    payer = await bound_payer(runtime)
    token = _token(runtime, payer)
    order = (await client.post(f"/pay/{token}/order")).json()
    provider = client.app.state.payments_provider
    provider.pay(order["out_trade_no"])
    headers, body = provider.notification_for(order["out_trade_no"], amount_fen=payer.total_fen)
    forged = dict(headers, **{"Linli-Sandbox-Signature": "f" * 64})
    refused = await client.post("/pay/notify/sandbox", content=body, headers=forged)
    assert refused.status_code == 401 and refused.json()["code"] == "FAIL"
    assert (await client.post("/pay/notify/sandbox", content=body, headers=headers)).status_code == 200
    assert (await client.post("/pay/notify/sandbox", content=body, headers=headers)).status_code == 204
    assert (await client.post("/pay/notify/wechatpay", content=body, headers=headers)).status_code == 404
