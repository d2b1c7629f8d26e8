"""The sandbox provider (沙箱): the embedded default when WeChat Pay is not configured. No money moves; the page
says so. Paying on its page produces a notification signed with the deployment's own key (HMAC-SHA256 over
timestamp, nonce and the raw body, like WeChat Pay's string to sign) that goes through the very same notification
path as WeChat Pay's: verification, timestamp window, stored-once ids, settling.

Its trades live in this process's memory (fine for `make run`, `linli chat` and tests; a restart forgets unpaid
sandbox trades, which then simply expire)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workflows.payments.providers.interface import (
    Notification,
    NotificationRefused,
    PaymentProvider,
    Prepay,
    PrepayRequest,
    ProviderError,
    RefundState,
    TradeState,
    notification_headers,
)

SIGNATURE = "Linli-Sandbox-Signature"
TIMESTAMP = "Linli-Sandbox-Timestamp"
NONCE = "Linli-Sandbox-Nonce"


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    label = "沙箱（测试环境，不会真实扣款）"
    sandbox = True

    def __init__(self, *, secret: str, appid: str, mchid: str = "sandbox") -> None:
        self._key = hashlib.sha256(f"linli-sandbox-pay:{secret}".encode()).digest()
        self.appid, self.mchid = appid, mchid
        self._trades: dict[str, dict] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> SandboxProvider:
        return cls(secret=settings.secret_key, appid=settings.wechat_appid)

    def _sign(self, timestamp: str, nonce: str, body: bytes) -> str:
        return hmac.new(self._key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n", hashlib.sha256).hexdigest()

    async def prepay(self, request: PrepayRequest) -> Prepay:
        prepay_id = f"sandbox_{secrets.token_hex(12)}"
        self._trades[request.out_trade_no] = {"amount": request.amount_fen, "openid": request.payer_openid,
                                              "state": "NOTPAY", "transaction_id": "", "paid_at": None,
                                              "expires": request.time_expire}
        return Prepay(prepay_id=prepay_id, pay_params=self.pay_params(prepay_id))

    def pay_params(self, prepay_id: str) -> dict[str, str]:
        return {"sandbox": "1", "prepay_id": prepay_id}

    async def query(self, out_trade_no: str) -> TradeState:
        trade = self._trades.get(out_trade_no)
        if trade is None:
            return TradeState(out_trade_no=out_trade_no, state="NOTPAY", mchid=self.mchid, appid=self.appid)
        return TradeState(out_trade_no=out_trade_no, state=trade["state"], transaction_id=trade["transaction_id"],
                          amount_fen=trade["amount"], paid_at=trade["paid_at"], mchid=self.mchid, appid=self.appid,
                          payer_openid=trade["openid"])

    async def close(self, out_trade_no: str) -> None:
        trade = self._trades.get(out_trade_no)
        if trade is not None and trade["state"] == "SUCCESS":
            raise ProviderError("ORDERPAID")
        if trade is not None:
            trade["state"] = "CLOSED"

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str, notify_url: str) -> RefundState:
        return RefundState(out_refund_no=out_refund_no, status="SUCCESS", refund_id=f"sandbox_r_{out_refund_no}")

    def pay(self, out_trade_no: str, *, now: datetime | None = None) -> tuple[dict[str, str], bytes]:
        """The owner pressed 沙箱付款: the trade is paid and its signed notification (headers, body) is returned
        for the caller to post to the notification path. Unknown or closed trades raise ProviderError."""
        trade = self._trades.get(out_trade_no)
        if trade is None or trade["state"] not in ("NOTPAY", "SUCCESS"):
            raise ProviderError("ORDERNOTEXIST" if trade is None else "ORDERCLOSED")
        now = now or datetime.now(UTC)
        if trade["state"] == "NOTPAY":
            trade.update(state="SUCCESS", transaction_id=f"sandbox{secrets.token_hex(10)}", paid_at=now)
        return self.notification_for(out_trade_no, amount_fen=trade["amount"], now=now)

    def notification_for(self, out_trade_no: str, *, amount_fen: int, now: datetime | None = None,
                         notification_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """A signed TRANSACTION.SUCCESS notification (tests use it to build duplicates and tampered copies)."""
        trade = self._trades.get(out_trade_no, {})
        now = now or datetime.now(UTC)
        resource = {"mchid": self.mchid, "appid": self.appid, "out_trade_no": out_trade_no,
                    "transaction_id": trade.get("transaction_id") or f"sandbox{secrets.token_hex(10)}",
                    "trade_state": "SUCCESS", "success_time": (trade.get("paid_at") or now).isoformat(),
                    "payer": {"openid": trade.get("openid", "")}, "amount": {"total": amount_fen,
                                                                             "payer_total": amount_fen,
                                                                             "currency": "CNY"}}
        body = json.dumps({"id": notification_id or f"sandbox-{out_trade_no}-{resource['transaction_id']}",
                           "create_time": now.isoformat(), "event_type": "TRANSACTION.SUCCESS",
                           "resource_type": "plain", "resource": resource}, ensure_ascii=False).encode()
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        return {TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: self._sign(timestamp, nonce, body)}, body

    async def verify_notification(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> Notification:
        lowered = notification_headers(headers, TIMESTAMP, NONCE, SIGNATURE, now=now)
        timestamp, nonce, signature = (lowered[name.lower()] for name in (TIMESTAMP, NONCE, SIGNATURE))
        if not hmac.compare_digest(self._sign(timestamp, nonce, body), signature):
            raise NotificationRefused("bad signature")
        try:
            payload = json.loads(body)
            return Notification(id=str(payload["id"]), event_type=str(payload["event_type"]),
                                resource=dict(payload["resource"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise NotificationRefused("malformed body") from exc
