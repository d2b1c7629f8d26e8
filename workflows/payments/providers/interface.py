"""The payment-provider interface, like Saleor's saleor/payment/interface.py: plain dataclasses in and out, one
implementation per provider (wechatpay.py: WeChat Pay API v3 JSAPI; sandbox.py: 沙箱, no money moves). Orders,
settling and notifications never know which provider they talk to."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

NOTIFICATION_MAX_SKEW_S = 300  # a notification whose timestamp is more than 5 minutes off is refused


class NotificationRefused(Exception):
    """A notification that is forged, tampered, stale or malformed: nothing may change."""


class ProviderError(Exception):
    """The provider could not be reached or refused a call; the caller retries later or tells the owner."""


@dataclass(frozen=True)
class PrepayRequest:
    out_trade_no: str
    description: str  # 阳光花园 物业费等 3 笔
    amount_fen: int
    payer_openid: str
    time_expire: datetime
    notify_url: str


@dataclass(frozen=True)
class Prepay:
    prepay_id: str
    pay_params: dict[str, str]  # what the page hands WeixinJSBridge getBrandWCPayRequest (or the sandbox form)


@dataclass(frozen=True)
class TradeState:
    """A transaction as the provider sees it: SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR …"""

    out_trade_no: str
    state: str
    transaction_id: str = ""
    amount_fen: int = 0
    paid_at: datetime | None = None
    mchid: str = ""
    appid: str = ""
    payer_openid: str = ""

    @property
    def paid(self) -> bool:
        return self.state == "SUCCESS"


@dataclass(frozen=True)
class RefundState:
    out_refund_no: str
    status: str  # PROCESSING | SUCCESS | CLOSED | ABNORMAL
    refund_id: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified notification: its id, event type and the decrypted resource."""

    id: str
    event_type: str  # TRANSACTION.SUCCESS | REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED
    resource: dict[str, Any] = field(default_factory=dict)

    def trade(self) -> TradeState:
        """The resource of a TRANSACTION.* notification as a TradeState."""
        return trade_from_resource(self.resource)


def trade_from_resource(resource: Mapping[str, Any]) -> TradeState:
    """WeChat Pay's transaction JSON (query answer or decrypted notification resource) as a TradeState."""
    amount = resource.get("amount") or {}
    success = resource.get("success_time")
    return TradeState(out_trade_no=str(resource.get("out_trade_no", "")), state=str(resource.get("trade_state", "")),
                      transaction_id=str(resource.get("transaction_id", "")),
                      amount_fen=int(amount.get("total", 0) or 0),
                      paid_at=datetime.fromisoformat(success) if success else None,
                      mchid=str(resource.get("mchid", "")), appid=str(resource.get("appid", "")),
                      payer_openid=str((resource.get("payer") or {}).get("openid", "")))


def notification_headers(headers: Mapping[str, str], timestamp: str, *signed_with: str,
                         now: datetime) -> dict[str, str]:
    """A notification's headers by lower-case name, once the timestamp header and those the provider signs with
    are all there and the timestamp is within 5 minutes of `now` (neither wechatpayv3 nor the sandbox's HMAC
    checks it); otherwise NotificationRefused, before any signature work."""
    lowered = {key.lower(): value for key, value in headers.items()}
    stamp = lowered.get(timestamp.lower(), "")
    if not stamp.isdigit() or not all(lowered.get(name.lower()) for name in signed_with):
        raise NotificationRefused("missing signature headers")
    if abs(now.timestamp() - int(stamp)) > NOTIFICATION_MAX_SKEW_S:
        raise NotificationRefused("stale timestamp")
    return lowered


class PaymentProvider(ABC):
    name: str  # "wechatpay" | "sandbox"
    label: str  # shown on the page: 微信支付 / 沙箱（测试，不会扣款）
    sandbox: bool = False
    mchid: str
    appid: str

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Any) -> PaymentProvider:
        """The provider configured by the deployment's Settings (read once at start-up)."""

    @abstractmethod
    async def prepay(self, request: PrepayRequest) -> Prepay:
        """Place the order with the provider (JSAPI 下单) and return what the page needs to pay it."""

    @abstractmethod
    def pay_params(self, prepay_id: str) -> dict[str, str]:
        """What the page needs to pay an order already placed (a reloaded page reuses its prepay_id)."""

    @abstractmethod
    async def query(self, out_trade_no: str) -> TradeState:
        """查单: the provider's state of this order."""

    @abstractmethod
    async def close(self, out_trade_no: str) -> None:
        """关单: the order can no longer be paid."""

    @abstractmethod
    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str, notify_url: str) -> RefundState:
        """申请退款."""

    @abstractmethod
    async def verify_notification(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> Notification:
        """Check the signature over the raw body, the timestamp and decrypt; NotificationRefused otherwise."""

    async def trade_bill(self, day: date) -> str | None:
        """The day's trade bill (交易账单, WeChat Pay's CSV) as text, "" for a day without trades; None when this
        provider has none to download (staff import the file instead)."""
        return None
