"""The /wechat webhook: GET echostr verification, POST messages in plain, safe (AES) and compatible mode.

Order of checks (nothing reaches the bot, the database or the state store before all have passed):
body size (Content-Length, then the stream) -> signature over token/timestamp/nonce -> in safe mode the <Encrypt>
element (entity-free parse) and msg_signature over it -> decrypt (padding, length, appid) -> inner XML -> Inbound.

The endpoint is a plain ASGI app on a route of the router (no request object, no dependency solving): it is the hot
path of the whole service, and FastAPI's endpoint machinery would cost more than verifying and decrypting.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter
from starlette.routing import Route

from bot.wechat import metrics
from bot.wechat.intake import Intake
from bot.wechat.protocol import (
    Crypto,
    Refused,
    TooLarge,
    check_signature,
    check_timestamp,
    encrypt_element,
    parse_inbound,
    text_reply_xml,
)
from workflows.settings import Settings

SUCCESS = "success"  # WeChat's "received, nothing to say now"
TEXT = b"text/plain; charset=utf-8"
XML = b"application/xml"


def parse_query(raw: bytes) -> dict[str, str]:
    """The query string; WeChat's values are digits and hex, so unquoting is the rare path."""
    params: dict[str, str] = {}
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name:
            text = value.decode("latin-1")
            params.setdefault(name.decode("latin-1"), unquote_plus(text) if b"%" in value or b"+" in value else text)
    return params


async def read_limited(scope: dict[str, Any], receive: Any, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes whether or not Content-Length tells the truth."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise Refused("bad_length_header")
            if int(value) > limit:
                raise TooLarge("too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Refused("disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge("too_large")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def respond(send: Any, status: int, body: str, content_type: bytes = TEXT) -> None:
    data = body.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def make_crypto(settings: Settings) -> Crypto | None:
    """Safe mode is available when an EncodingAESKey is configured."""
    if not settings.wechat_aes_key:
        return None
    return Crypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)


class WeChatWebhook:
    """The ASGI endpoint for one official account; `intake` wraps the Bot (dedup, lock, deadline)."""

    def __init__(self, *, settings: Settings, intake: Intake) -> None:
        self.token = settings.wechat_token
        self.limit = settings.wechat_max_body_bytes
        self.max_age_s = settings.wechat_max_timestamp_age_s
        self.crypto = make_crypto(settings)
        self.intake = intake

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        params = parse_query(scope.get("query_string", b""))
        try:
            if scope["method"] in ("GET", "HEAD"):
                check_signature(self.token, params.get("signature"), params.get("timestamp"), params.get("nonce"))
                check_timestamp(params.get("timestamp"), self.max_age_s)
                await respond(send, 200, params.get("echostr", ""))
                return
            await self.receive_message(scope, receive, send, params)
        except Refused as exc:
            metrics.REFUSED.labels(exc.reason).inc()
            await respond(send, exc.status, exc.reason)

    async def receive_message(self, scope: dict[str, Any], receive: Any, send: Any, params: dict[str, str]) -> None:
        timestamp, nonce = params.get("timestamp"), params.get("nonce")
        safe = params.get("encrypt_type", "raw").lower() == "aes"
        body = await read_limited(scope, receive, self.limit)
        check_signature(self.token, params.get("signature"), timestamp, nonce)
        check_timestamp(timestamp, self.max_age_s)
        if safe:
            if self.crypto is None:
                raise Refused("safe_mode_not_configured")
            encrypted = encrypt_element(body)
            check_signature(self.token, params.get("msg_signature"), timestamp, nonce, encrypted)
            envelope = parse_inbound(self.crypto.decrypt(encrypted))
        else:
            envelope = parse_inbound(body)
        inbound = envelope.inbound
        metrics.RECEIVED.labels(inbound.event or inbound.msg_type).inc()
        text = await self.intake.handle(inbound)
        if not text:
            await respond(send, 200, SUCCESS)
            return
        xml = text_reply_xml(to_openid=inbound.openid, account=envelope.account, text=text)
        if self.crypto is not None and safe:
            xml = self.crypto.encrypt(xml, nonce or "", timestamp)
        await respond(send, 200, xml, XML)


def wechat_router(*, settings: Settings, intake: Intake) -> APIRouter:
    """The webhook router for one official account: GET and POST /wechat."""
    router = APIRouter()
    router.routes.append(Route("/wechat", WeChatWebhook(settings=settings, intake=intake), methods=["GET", "POST"],
                               include_in_schema=False))
    return router
