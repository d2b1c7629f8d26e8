"""A local fake of WeChat Pay API v3 (api.mch.weixin.qq.com) speaking the real protocol, for tests and benchmarks:
real RSA keys generated here, the merchant's Authorization header verified (WECHATPAY2-SHA256-RSA2048 over method,
path, timestamp, nonce and body), every answer signed (Wechatpay-Timestamp/-Nonce/-Serial/-Signature), resources of
notifications encrypted with AEAD_AES_256_GCM under the APIv3 key, platform certificates served encrypted.

    with FakeWechatPay(merchant_public_key=pem) as fake:   # a real HTTP server on 127.0.0.1, in a thread
        provider = WechatPayProvider(..., api_base=fake.base_url, public_key=fake.public_key_pem,
                                     public_key_id=fake.public_key_id)
        fake.pay(out_trade_no)                             # the owner paid in WeChat
        headers, body = fake.notification(out_trade_no)    # what WeChat Pay would POST to notify_url

Endpoints: POST /v3/pay/transactions/jsapi, GET /v3/pay/transactions/out-trade-no/{no}, POST …/{no}/close,
POST /v3/refund/domestic/refunds, GET /v3/certificates, GET /v3/bill/tradebill (→ a download_url with the SHA1 of
the bill) and GET /v3/billdownload/file (the gzipped CSV, built from the trades paid that day by `trade_bill_csv`;
`bill_extra`, `bill_hidden` and `bill_amounts` let a test make WeChat's bill disagree with Linli).
`signer` ("public_key" | "certificate") picks which key signs answers and notifications (WeChat moves merchants
from certificates to the public key).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.fakes.local_server import LocalServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUTH = re.compile(r'WECHATPAY2-SHA256-RSA2048 mchid="([^"]*)",nonce_str="([^"]*)",signature="([^"]*)",'
                  r'timestamp="([^"]*)",serial_no="([^"]*)"')


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
               "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def trade_bill_csv(rows: list[dict[str, Any]], *, mchid: str, appid: str) -> str:
    """WeChat Pay's trade bill (交易账单, bill_type=ALL) as its CSV: a backtick before every field, amounts in
    yuan, the summary lines last. A row: out_trade_no, amount_fen, and optionally transaction_id, state
    (SUCCESS | REFUND), refund_fen, openid, time ("2026-12-07 10:15:02")."""
    lines = [BILL_HEADER]
    paid = refunded = fees = 0
    for row in rows:
        amount, refund = row["amount_fen"], row.get("refund_fen", 0)
        state = row.get("state", "SUCCESS")
        fee = amount * 6 // 1000  # 0.6 %
        paid, refunded, fees = paid + (amount if state == "SUCCESS" else 0), refunded + refund, fees + fee
        fields = [row.get("time", "2026-12-07 10:15:02"), appid, mchid, "0", "",
                  row.get("transaction_id") or "42000" + secrets.token_hex(12), row["out_trade_no"],
                  row.get("openid", "oFakeOpenid"), "JSAPI", state, "OTHERS", "CNY", _yuan(amount), "0.00",
                  "0" if not refund else "50000" + secrets.token_hex(8),
                  "0" if not refund else "R" + row["out_trade_no"],
                  _yuan(refund), "0.00", "", "" if not refund else "SUCCESS", "物业费", "", f"{fee / 100:.5f}",
                  "0.60%", _yuan(amount), _yuan(refund), ""]
        lines.append(",".join("`" + value for value in fields))
    lines.append(BILL_SUMMARY)
    lines.append(",".join("`" + value for value in (str(len(rows)), _yuan(paid), _yuan(refunded), "0.00",
                                                     f"{fees / 100:.5f}", _yuan(paid), _yuan(refunded))))
    return "\r\n".join(lines) + "\r\n"


def aes_gcm_encrypt(apiv3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    nonce = secrets.token_hex(6)  # 12 characters, used as bytes, as WeChat Pay does
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": associated_data,
            "ciphertext": base64.b64encode(ciphertext).decode()}


class FakeWechatPay(LocalServer):
    name = "fake WeChat Pay"

    def __init__(self, *, merchant_public_key: str, mchid: str = "1900000109", appid: str = "wxfakepay0000001",
                 apiv3_key: str | None = None) -> None:
        self.mchid, self.appid = mchid, appid
        self.apiv3_key = apiv3_key or secrets.token_hex(16)  # 32 characters
        self._merchant_key = serialization.load_pem_public_key(merchant_public_key.encode())
        self.public_key = new_rsa_key()  # WeChat Pay's public key (微信支付公钥)
        self.public_key_id = "PUB_KEY_ID_0119000001092026120700" + secrets.token_hex(2).upper()
        self.public_key_pem = public_pem(self.public_key)
        self.platform_key = new_rsa_key()  # a platform certificate's key (平台证书)
        self.certificate = self._self_signed(self.platform_key)
        self.certificate_serial = format(self.certificate.serial_number, "X")
        self.certificate_pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        self.signer = "public_key"
        self.trades: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.rejected_auth = 0
        self.bill_extra: list[dict[str, Any]] = []  # rows the bill lists besides the trades paid here
        self.bill_hidden: set[str] = set()  # out_trade_nos the bill leaves out
        self.bill_amounts: dict[str, int] = {}  # out_trade_no → the amount the bill says
        self._bill_files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.app = self._build()

    @staticmethod
    def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (fake)")])
        now = datetime.now(UTC)
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))

    # --- signing as WeChat Pay ---------------------------------------------------------------------------------
    def signed_headers(self, body: str, *, timestamp: int | None = None, signer: str | None = None
                       ) -> dict[str, str]:
        signer = signer or self.signer
        key, serial = ((self.public_key, self.public_key_id) if signer == "public_key"
                       else (self.platform_key, self.certificate_serial))
        stamp, nonce = str(timestamp if timestamp is not None else int(time.time())), secrets.token_hex(16)
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial,
                "Wechatpay-Signature": rsa_sign(key, f"{stamp}\n{nonce}\n{body}\n"),
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}

    def _answer(self, status: int, payload: dict[str, Any] | None = None) -> Response:
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        return Response(body, status_code=status, media_type="application/json",
                        headers=self.signed_headers(body) if 200 <= status < 300 else {})

    def _authorised(self, request: Request, body: bytes) -> bool:
        match = AUTH.fullmatch(request.headers.get("authorization", ""))
        if match is None or match.group(1) != self.mchid:
            return False
        _, nonce, signature, timestamp, _serial = match.groups()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        message = f"{request.method}\n{path}\n{timestamp}\n{nonce}\n{body.decode()}\n".encode()
        try:
            self._merchant_key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return abs(time.time() - int(timestamp)) <= 300

    # --- what happens in WeChat ---------------------------------------------------------------------------------
    def pay(self, out_trade_no: str) -> dict[str, Any]:
        """The payer confirmed in WeChat: the trade is SUCCESS with a transaction id."""
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade["trade_state"] == "NOTPAY":
                trade.update(trade_state="SUCCESS", transaction_id="42000" + secrets.token_hex(12),
                             success_time=datetime.now(UTC).astimezone().isoformat(timespec="seconds"))
            return dict(trade)

    def notification(self, out_trade_no: str, *, amount_fen: int | None = None, timestamp: int | None = None,
                     notification_id: str | None = None, signer: str | None = None,
                     mchid: str | None = None) -> tuple[dict[str, str], bytes]:
        """TRANSACTION.SUCCESS as WeChat Pay posts it: encrypted resource, signed over the exact body bytes."""
        resource = dict(self.trades[out_trade_no])
        resource["amount"] = dict(resource["amount"])
        if amount_fen is not None:
            resource["amount"].update(total=amount_fen, payer_total=amount_fen)
        if mchid is not None:
            resource["mchid"] = mchid
        return self._event("TRANSACTION.SUCCESS", "transaction", resource, "支付成功", timestamp=timestamp,
                           notification_id=notification_id, signer=signer)

    def refund_notification(self, out_refund_no: str, status: str = "SUCCESS") -> tuple[dict[str, str], bytes]:
        refund = self.refunds[out_refund_no]
        resource = {"mchid": self.mchid, "out_trade_no": refund["out_trade_no"], "refund_id": refund["refund_id"],
                    "out_refund_no": out_refund_no, "refund_status": status,
                    "amount": {"total": refund["amount"]["total"], "refund": refund["amount"]["refund"]}}
        return self._event(f"REFUND.{status}", "refund", resource, "退款成功")

    def _event(self, event_type: str, original: str, resource: dict[str, Any], summary: str, *,
               timestamp: int | None = None, notification_id: str | None = None, signer: str | None = None
               ) -> tuple[dict[str, str], bytes]:
        encrypted = aes_gcm_encrypt(self.apiv3_key, json.dumps(resource, ensure_ascii=False), original)
        body = json.dumps({"id": notification_id or secrets.token_hex(18), "create_time": datetime.now(UTC)
                           .astimezone().isoformat(timespec="seconds"), "resource_type": "encrypt-resource",
                           "event_type": event_type, "summary": summary,
                           "resource": {"original_type": original, **encrypted}}, ensure_ascii=False)
        return self.signed_headers(body, timestamp=timestamp, signer=signer), body.encode()

    def trade_bill_rows(self, day: str) -> list[dict[str, Any]]:
        """The rows of `day`'s (YYYY-MM-DD, Asia/Shanghai) bill: trades paid that day, then `bill_extra`."""
        rows = []
        for trade in list(self.trades.values()):
            if trade["trade_state"] != "SUCCESS" or trade["out_trade_no"] in self.bill_hidden:
                continue
            paid = datetime.fromisoformat(trade["success_time"]).astimezone(SHANGHAI)
            if paid.date().isoformat() == day:
                rows.append({"out_trade_no": trade["out_trade_no"], "transaction_id": trade["transaction_id"],
                             "amount_fen": self.bill_amounts.get(trade["out_trade_no"], trade["amount"]["total"]),
                             "openid": trade["payer"]["openid"], "time": paid.strftime("%Y-%m-%d %H:%M:%S")})
        return rows + [row for row in self.bill_extra if row.get("day", day) == day]

    # --- the server ------------------------------------------------------------------------------------------
    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def merchant_signature(request: Request, call_next):  # noqa: ANN001, ANN202
            body = await request.body()
            self.requests.append((request.method, request.url.path))
            if not self._authorised(request, body):
                self.rejected_auth += 1
                return Response(json.dumps({"code": "SIGN_ERROR", "message": "签名错误"}), status_code=401,
                                media_type="application/json")
            return await call_next(request)

        @app.post("/v3/pay/transactions/jsapi")
        async def jsapi(request: Request) -> Response:
            order = json.loads(await request.body())
            if order.get("mchid") != self.mchid or order.get("appid") != self.appid:
                return self._answer(400, {"code": "PARAM_ERROR", "message": "mchid/appid"})
            with self._lock:
                known = self.trades.get(order["out_trade_no"])
                if known is not None and known["trade_state"] != "NOTPAY":
                    return self._answer(400, {"code": "ORDERPAID" if known["trade_state"] == "SUCCESS"
                                              else "ORDERCLOSED", "message": "订单状态不允许"})
                self.trades[order["out_trade_no"]] = {
                    "mchid": self.mchid, "appid": self.appid, "out_trade_no": order["out_trade_no"],
                    "transaction_id": "", "trade_type": "JSAPI", "trade_state": "NOTPAY", "trade_state_desc": "",
                    "payer": {"openid": order["payer"]["openid"]}, "time_expire": order.get("time_expire"),
                    "amount": {"total": order["amount"]["total"], "payer_total": order["amount"]["total"],
                               "currency": "CNY", "payer_currency": "CNY"}}
            return self._answer(200, {"prepay_id": "wx" + secrets.token_hex(15)})

        @app.get("/v3/pay/transactions/out-trade-no/{out_trade_no}")
        async def query(out_trade_no: str) -> Response:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            return self._answer(200, {key: value for key, value in trade.items() if value != ""})

        @app.post("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
        async def close(out_trade_no: str) -> Response:
            with self._lock:
                trade = self.trades.get(out_trade_no)
                if trade is not None and trade["trade_state"] == "SUCCESS":
                    return self._answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
                if trade is not None:
                    trade["trade_state"] = "CLOSED"
            return self._answer(204)

        @app.post("/v3/refund/domestic/refunds")
        async def refund(request: Request) -> Response:
            data = json.loads(await request.body())
            refund = {"refund_id": "50000" + secrets.token_hex(10), "out_refund_no": data["out_refund_no"],
                      "out_trade_no": data["out_trade_no"], "status": "PROCESSING", "amount": data["amount"]}
            self.refunds[data["out_refund_no"]] = refund
            return self._answer(200, refund)

        @app.get("/v3/bill/tradebill")
        async def tradebill(bill_date: str, bill_type: str = "ALL", tar_type: str = "") -> Response:
            rows = self.trade_bill_rows(bill_date)
            if not rows:
                return self._answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
            content = trade_bill_csv(rows, mchid=self.mchid, appid=self.appid).encode()
            token = secrets.token_urlsafe(12)
            self._bill_files[token] = gzip.compress(content) if tar_type == "GZIP" else content
            return self._answer(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(content).hexdigest(),
                                      "download_url": f"{self.base_url}/v3/billdownload/file?token={token}"})

        @app.get("/v3/billdownload/file")
        async def bill_file(token: str) -> Response:
            data = self._bill_files.get(token)
            if data is None:
                return self._answer(400, {"code": "INVALID_REQUEST", "message": "token"})
            return Response(data, media_type="application/octet-stream")

        @app.get("/v3/certificates")
        async def certificates() -> Response:
            encrypted = aes_gcm_encrypt(self.apiv3_key, self.certificate_pem, "certificate")
            return self._answer(200, {"data": [{
                "serial_no": self.certificate_serial, "effective_time": "2026-01-01T00:00:00+08:00",
                "expire_time": "2031-01-01T00:00:00+08:00", "encrypt_certificate": encrypted}]})

        return app
