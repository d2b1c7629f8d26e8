"""/pay: the small payment page behind a signed link, the order it places, the sandbox's 付款 button, the status the
page polls, and /pay/notify/{provider} where the provider's signed notifications arrive (raw body bytes).

The page's "paid" is a hint only: an order is paid by a verified notification or an order query, and the page shows
what the database says."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from workflows.billing.pricing import yuan
from workflows.payments.flows import start_payment
from workflows.payments.links import LinkRefused, PayLink, read_pay_token
from workflows.payments.notifications import Answer, handle_payment_notification
from workflows.payments.orders import PaymentRefused, owner_unpaid_bills
from workflows.payments.providers.interface import PaymentProvider, ProviderError
from workflows.payments.receipts import OrderStatusView, owner_order_status
from workflows.runtime import Runtime

log = logging.getLogger("linli.pay")
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_NOTIFICATION_BYTES = 64 * 1024

LINK_REFUSED = {"expired": "链接已过期，请在公众号回复“缴费”获取新链接", "another openid": "这个缴费链接不是发给您的",
                "bad signature": "链接无效（可能被修改过），请在公众号回复“缴费”获取新链接",
                "malformed": "链接无效，请在公众号回复“缴费”获取新链接"}


def pay_router(runtime: Runtime, provider: PaymentProvider) -> APIRouter:
    router = APIRouter(prefix="/pay", include_in_schema=False)
    settings = runtime.settings

    def link_of(token: str, openid: str | None) -> PayLink:
        try:
            return read_pay_token(settings.secret_key, token, viewer_openid=openid)
        except LinkRefused as exc:
            raise HTTPException(403, detail=LINK_REFUSED.get(str(exc), "链接无效")) from None

    async def owns(link: PayLink, out_trade_no: str) -> OrderStatusView:
        async with runtime.sessions() as session:
            order = await owner_order_status(session, openid=link.openid, out_trade_no=out_trade_no)
        if order is None:
            raise HTTPException(404, detail="没有这个订单")
        return order

    @router.post("/notify/{name}")
    async def notify(request: Request, name: str) -> Response:
        """The provider's notification: answered 200/204 when taken (or nothing changed), else FAIL."""
        if name != provider.name:
            raise HTTPException(404)
        body = await request.body()
        if len(body) > MAX_NOTIFICATION_BYTES:
            return JSONResponse({"code": "FAIL", "message": "too large"}, status_code=413)
        result = await handle_payment_notification(runtime.sessions, provider, request.headers, body)
        if result.answer in (Answer.SETTLED, Answer.NOTHING_CHANGED):
            return Response(status_code=int(result.answer))
        return JSONResponse({"code": "FAIL", "message": result.outcome[:100]}, status_code=int(result.answer))

    @router.get("/{token}", response_class=HTMLResponse)
    async def page(request: Request, token: str, openid: str | None = None) -> HTMLResponse:
        """`openid`, when the page knows the viewer (WeChat page authorisation), must be the link's."""
        link = link_of(token, openid)
        async with runtime.sessions() as session:
            bills = await owner_unpaid_bills(session, openid=link.openid, bill_ids=list(link.bill_ids))
        total = sum(bill.total_fen for bill in bills)
        payable = len(bills) == len(link.bill_ids) and total == link.total_fen
        state = "payable" if payable else ("paid" if not bills else "changed")
        return templates.TemplateResponse(request, "pay.html", {
            "token": token, "bills": bills, "total": yuan(link.total_fen), "state": state, "yuan": yuan,
            "provider": provider, "sandbox": provider.sandbox}, status_code=200 if payable else 409)

    @router.post("/{token}/order")
    async def place_order(token: str, openid: str | None = None) -> JSONResponse:
        link = link_of(token, openid)
        try:
            started = await start_payment(runtime.sessions, provider, link=link,
                                          notify_url=f"{settings.base_url}/pay/notify/{provider.name}",
                                          description=f"物业缴费 {len(link.bill_ids)} 笔")
        except PaymentRefused as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        except ProviderError:
            log.exception("prepay failed")
            return JSONResponse({"detail": "支付服务暂时不可用，请稍后再试"}, status_code=503)
        return JSONResponse({"order": started.order_number, "out_trade_no": started.out_trade_no,
                             "amount": yuan(started.amount_fen), "pay_params": started.pay_params,
                             "sandbox": provider.sandbox})

    @router.get("/{token}/status/{out_trade_no}")
    async def status(token: str, out_trade_no: str) -> JSONResponse:
        order = await owns(link_of(token, None), out_trade_no)
        return JSONResponse({"status": order.status.value, "label": order.label, "receipt": order.receipt})

    @router.post("/{token}/sandbox/{out_trade_no}")
    async def sandbox_pay(token: str, out_trade_no: str) -> JSONResponse:
        """沙箱付款: the sandbox marks the trade paid and its signed notification takes the real path."""
        if not provider.sandbox:
            raise HTTPException(404)
        await owns(link_of(token, None), out_trade_no)
        try:
            headers, body = provider.pay(out_trade_no)  # type: ignore[attr-defined]
        except ProviderError as exc:
            return JSONResponse({"detail": f"沙箱无法支付：{exc}"}, status_code=409)
        result = await handle_payment_notification(runtime.sessions, provider, headers, body)
        return JSONResponse({"notification": result.outcome}, status_code=200 if result.answer < 300 else 502)

    return router
