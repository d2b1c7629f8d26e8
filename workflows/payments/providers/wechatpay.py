"""WeChat Pay API v3, JSAPI, direct merchant (微信支付直连商户), through the maintained `wechatpayv3` package and its
async client (AsyncWeChatPay): request signing, response verification, notification signatures and AES-GCM are the
library's; what it leaves to us is here:

- the notification's timestamp is refused when more than 5 minutes off (the library does not check it);
- the key is chosen by `Wechatpay-Serial`: a `PUB_KEY_ID_…` serial means WeChat Pay's public key (it must be the
  configured id), anything else a platform certificate (from LINLI_WECHATPAY_CERT_DIR, or downloaded). Configure
  both while WeChat moves the merchant from certificates to the public key;
- paySign for WeixinJSBridge getBrandWCPayRequest: RSA-SHA256 over appId, timeStamp (seconds), nonceStr and
  `prepay_id=…`, each followed by a newline.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from wechatpayv3.async_ import AsyncWeChatPay
from wechatpayv3.async_.type import WeChatPayType
from wechatpayv3.utils import load_private_key, rsa_sign

from workflows.clock import SHANGHAI
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
    trade_from_resource,
)

PUBLIC_KEY_PREFIX = "PUB_KEY_ID_"


class WechatPayProvider(PaymentProvider):
    name = "wechatpay"
    label = "微信支付"
    sandbox = False

    def __init__(self, *, mchid: str, appid: str, cert_serial_no: str, private_key: str, apiv3_key: str,
                 public_key: str | None = None, public_key_id: str | None = None, cert_dir: str | None = None,
                 api_base: str = "https://api.mch.weixin.qq.com") -> None:
        if not (mchid and appid and cert_serial_no and private_key and len(apiv3_key) == 32):
            raise ValueError("WeChat Pay needs mchid, appid, the API certificate serial, its private key and a "
                             "32-character APIv3 key")
        if not (public_key and public_key_id) and not cert_dir:
            raise ValueError("WeChat Pay needs its public key (and id) or a platform certificate folder")
        self.mchid, self.appid = mchid, appid
        self.public_key_id = public_key_id or ""
        self._options: dict[str, Any] = {
            "wechatpay_type": WeChatPayType.JSAPI, "mchid": mchid, "private_key": private_key,
            "cert_serial_no": cert_serial_no, "appid": appid, "apiv3_key": apiv3_key, "cert_dir": cert_dir,
            "public_key": public_key, "public_key_id": public_key_id, "timeout": (5, 10)}
        self._cert_dir = cert_dir
        self._api_base = api_base.rstrip("/")
        self._signing_key = load_private_key(private_key)
        self._client: AsyncWeChatPay | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> WechatPayProvider:
        def read(path: str) -> str | None:
            return Path(path).read_text(encoding="utf-8") if path else None

        return cls(mchid=settings.wechatpay_mchid, appid=settings.wechat_appid,
                   cert_serial_no=settings.wechatpay_cert_serial_no,
                   private_key=read(settings.wechatpay_private_key_path) or "",
                   apiv3_key=settings.wechatpay_apiv3_key, public_key=read(settings.wechatpay_public_key_path),
                   public_key_id=settings.wechatpay_public_key_id or None,
                   cert_dir=settings.wechatpay_cert_dir or None, api_base=settings.wechatpay_api_base)

    async def client(self) -> AsyncWeChatPay:
        """The library's async client, opened once (its HTTP client, and platform certificates when configured)."""
        async with self._lock:
            if self._client is None:
                client = AsyncWeChatPay(**self._options)
                # The library has no setting for its gateway; tests and private deployments point it elsewhere.
                client._core._gate_way = self._api_base
                try:
                    await client.__aenter__()
                    if self._cert_dir and self.public_key_id:  # both: certificates too, for the move-over week
                        await client._core._init_certificates()
                except Exception as exc:  # noqa: BLE001 - the library raises plain Exception
                    raise ProviderError(f"WeChat Pay client: {exc}") from exc
                self._client = client
            return self._client

    async def close_client(self) -> None:
        if self._client is not None:
            await self._client.__aexit__(None, None, None)
            self._client = None

    @staticmethod
    def _answer(code: int, message: Any, ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        if code not in ok:
            raise ProviderError(f"WeChat Pay answered {code}: {str(message)[:300]}")
        return json.loads(message) if message else {}

    async def prepay(self, request: PrepayRequest) -> Prepay:
        client = await self.client()
        try:
            code, message = await client.pay(
                description=request.description[:127], out_trade_no=request.out_trade_no,
                amount={"total": request.amount_fen, "currency": "CNY"}, payer={"openid": request.payer_openid},
                time_expire=request.time_expire.astimezone(SHANGHAI).isoformat(timespec="seconds"),
                notify_url=request.notify_url, pay_type=WeChatPayType.JSAPI)
        except Exception as exc:  # noqa: BLE001 - network errors and the library's own
            raise ProviderError(f"prepay: {exc}") from exc
        prepay_id = self._answer(code, message).get("prepay_id", "")
        if not prepay_id:
            raise ProviderError("prepay: no prepay_id")
        return Prepay(prepay_id=prepay_id, pay_params=self.pay_params(prepay_id))

    def pay_params(self, prepay_id: str) -> dict[str, str]:
        """The object WeixinJSBridge.invoke('getBrandWCPayRequest', …) takes."""
        timestamp, nonce, package = str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        signature = rsa_sign(self._signing_key, "\n".join((self.appid, timestamp, nonce, package)) + "\n")
        return {"appId": self.appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": signature}

    async def query(self, out_trade_no: str) -> TradeState:
        client = await self.client()
        try:
            code, message = await client.query(out_trade_no=out_trade_no)
        except Exception as exc:  # noqa: BLE001
            raise ProviderError(f"query: {exc}") from exc
        if code == 404:
            return TradeState(out_trade_no=out_trade_no, state="NOTEXIST", mchid=self.mchid, appid=self.appid)
        trade = trade_from_resource(self._answer(code, message))
        if trade.mchid != self.mchid or trade.appid != self.appid or trade.out_trade_no != out_trade_no:
            raise ProviderError("query answered for another merchant, app or order")
        return trade

    async def close(self, out_trade_no: str) -> None:
        client = await self.client()
        try:
            code, message = await client.close(out_trade_no)
        except Exception as exc:  # noqa: BLE001
            raise ProviderError(f"close: {exc}") from exc
        if code not in (200, 204):
            raise ProviderError(f"close answered {code}: {str(message)[:300]}")  # ORDERPAID among others

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str, notify_url: str) -> RefundState:
        client = await self.client()
        try:
            code, message = await client.refund(out_refund_no=out_refund_no, out_trade_no=out_trade_no,
                                                amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
                                                reason=reason[:80] or None, notify_url=notify_url)
        except Exception as exc:  # noqa: BLE001
            raise ProviderError(f"refund: {exc}") from exc
        answer = self._answer(code, message)
        return RefundState(out_refund_no=out_refund_no, status=str(answer.get("status", "PROCESSING")),
                           refund_id=str(answer.get("refund_id", "")))

    async def trade_bill(self, day: date) -> str | None:
        """申请交易账单 (v3 tradebill, all trades, gzip) then 下载账单 from its download_url, both through the library;
        the unpacked file must match the SHA1 WeChat Pay gave. A day without trades (NO_STATEMENT_EXIST) is ""."""
        client = await self.client()
        try:
            code, message = await client.trade_bill(bill_date=day.isoformat(), bill_type="ALL", tar_type="GZIP")
            if code == 400 and "NO_STATEMENT_EXIST" in str(message):
                return ""
            answer = self._answer(code, message)
            code, data = await client.download_bill(answer.get("download_url", ""))
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - network errors and the library's own
            raise ProviderError(f"trade bill: {exc}") from exc
        if code != 200 or not isinstance(data, bytes):
            raise ProviderError(f"bill download answered {code}")
        try:
            content = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ProviderError("bill download is not gzip") from exc
        if hashlib.sha1(content).hexdigest().lower() != str(answer.get("hash_value", "")).lower():  # noqa: S324
            raise ProviderError("bill download does not match its SHA1")
        return content.decode("utf-8-sig")

    async def verify_notification(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> Notification:
        lowered = notification_headers(headers, "Wechatpay-Timestamp", "Wechatpay-Serial", "Wechatpay-Signature",
                                       now=now)
        serial = lowered["wechatpay-serial"]
        if serial.startswith(PUBLIC_KEY_PREFIX) and serial != self.public_key_id:
            raise NotificationRefused(f"unknown public key id {serial[:64]}")
        if not serial.startswith(PUBLIC_KEY_PREFIX) and not self._cert_dir:
            raise NotificationRefused("signed with a platform certificate, none configured")
        client = await self.client()
        try:
            text = body.decode("utf-8")
            data = client.callback(lowered, text)  # signature over the raw body, then AEAD_AES_256_GCM
        except Exception as exc:  # noqa: BLE001 - bad serial, unsupported algorithm, not UTF-8, not JSON
            raise NotificationRefused(f"unreadable: {type(exc).__name__}") from exc
        if not data or not isinstance(data.get("resource"), dict):
            raise NotificationRefused("bad signature or undecryptable resource")
        return Notification(id=str(data.get("id", "")), event_type=str(data.get("event_type", "")),
                            resource=data["resource"])
