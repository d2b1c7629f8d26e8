"""The /wechat webhook: GET echostr verification, POST messages in plain, safe (AES) and compatible mode.

Order of checks (nothing reaches the bot, the database or the state store before all have passed):
body size (Content-Length, then the stream) -> signature over token/timestamp/nonce -> in safe mode the <Encrypt>
element (entity-free parse) and msg_signature over it -> decrypt (padding, length, appid) -> inner XML -> Inbound.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot.wechat import metrics
from bot.wechat.intake import Intake
from bot.wechat.protocol import (
    Crypto,
    Refused,
    TooLarge,
    check_signature,
    encrypt_element,
    parse_inbound,
    text_reply_xml,
)
from workflows.settings import Settings

SUCCESS = "success"  # WeChat's "received, nothing to say now"


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes whether or not Content-Length tells the truth."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge("too_large") if declared.isdigit() else Refused("bad_length_header")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge("too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def make_crypto(settings: Settings) -> Crypto | None:
    """Safe mode is available when an EncodingAESKey is configured."""
    if not settings.wechat_aes_key:
        return None
    return Crypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)


def wechat_router(*, settings: Settings, intake: Intake) -> APIRouter:
    """The webhook router for one official account; `intake` wraps the Bot (dedup, lock, deadline)."""
    router = APIRouter()
    token = settings.wechat_token
    limit = settings.wechat_max_body_bytes
    crypto = make_crypto(settings)

    def refused(exc: Refused) -> Response:
        metrics.REFUSED.labels(exc.reason).inc()
        return PlainTextResponse(exc.reason, status_code=exc.status)

    @router.get("/wechat", include_in_schema=False)
    async def verify(request: Request) -> Response:
        params = request.query_params
        try:
            check_signature(token, params.get("signature"), params.get("timestamp"), params.get("nonce"))
        except Refused as exc:
            return refused(exc)
        return PlainTextResponse(params.get("echostr", ""))

    @router.post("/wechat", include_in_schema=False)
    async def receive(request: Request) -> Response:
        params = request.query_params
        timestamp, nonce = params.get("timestamp"), params.get("nonce")
        safe = params.get("encrypt_type", "raw").lower() == "aes"
        try:
            body = await read_limited(request, limit)
            check_signature(token, params.get("signature"), timestamp, nonce)
            if safe:
                if crypto is None:
                    raise Refused("safe_mode_not_configured")
                encrypted = encrypt_element(body)
                check_signature(token, params.get("msg_signature"), timestamp, nonce, encrypted)
                envelope = parse_inbound(crypto.decrypt(encrypted))
            else:
                envelope = parse_inbound(body)
        except Refused as exc:
            return refused(exc)
        inbound = envelope.inbound
        metrics.RECEIVED.labels(inbound.event or inbound.msg_type).inc()
        text = await intake.handle(inbound)
        if not text:
            return PlainTextResponse(SUCCESS)
        xml = text_reply_xml(to_openid=inbound.openid, account=envelope.account, text=text)
        if safe:
            xml = crypto.encrypt(xml, nonce or "", timestamp)  # type: ignore[union-attr]
        return Response(xml, media_type="application/xml")

    return router
