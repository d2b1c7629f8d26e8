"""Outbox delivery to WeChat: a loop that leases due "wechat.text" and "wechat.template" rows and sends them.

Rules:
- A row is leased by one worker (workflows.outbox.service.lease_due) and marked sent right after WeChat accepted it,
  so it is sent once; the outbox row id is logged with every attempt as the idempotency note.
- Failures are retried with the outbox's backoff; a permanent error (45015: the 48-hour window closed or the owner
  unsubscribed, an invalid openid or template, ...) or the last attempt marks the row dead, for staff to see.
- wechat.template: the template id comes from settings.wechat_template_ids[payload["template"]]; with none
  configured, the payload's "text" is sent as a customer-service text instead (logged).
- Without an AppSecret (the embedded default) WeChat cannot be reached at all: nothing is leased, the rows wait in
  the outbox untouched, and the loop says so once, instead of burning their attempts on a call that cannot succeed.
- wechat.image: payload["path"] (relative to settings.media_dir) is uploaded as temporary media, then sent as an
  image message (a visitor pass's QR code); a missing file is a permanent failure.
- A payload with "quiet" hours ({"hours": "21:00-08:00", "tz": "Asia/Shanghai"}, workflows/outbox/quiet.py) is
  handed back untouched while they last, due again when they end.
- Rows addressed to `linli chat` owners (openid starting with "chat-") are never sent to WeChat: the delivery loop
  hands them back as pending (not due for a day) and `linli chat` prints them and marks them sent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from bot.wechat import metrics
from bot.wechat.api import WeChatApi, WeChatApiError
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.outbox.quiet import quiet_until
from workflows.outbox.service import Delivery, lease_due, mark_failed, mark_sent, release
from workflows.runtime import Runtime

log = logging.getLogger("linli.wechat.delivery")

DELIVERED_KINDS = ("wechat.text", "wechat.template", "wechat.image")
CHAT_PREFIX = "chat-"
CHAT_HOLD = timedelta(days=1)


class OutboxDelivery:
    def __init__(self, runtime: Runtime, api: WeChatApi, *, batch: int = 20) -> None:
        self.runtime = runtime
        self.api = api
        self.batch = batch
        self._said_unconfigured = False

    @property
    def configured(self) -> bool:
        return bool(self.runtime.settings.wechat_app_secret)

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many were sent."""
        if not self.configured:
            if not self._said_unconfigured:
                log.warning("LINLI_WECHAT_APP_SECRET is not set: WeChat messages wait in the outbox until it is")
                self._said_unconfigured = True
            return 0
        async with transaction(self.runtime.sessions) as session:
            leased = await lease_due(session, kinds=DELIVERED_KINDS, limit=self.batch)
        sent = 0
        for delivery in leased:
            sent += await self._deliver(delivery)
        return sent

    async def _deliver(self, delivery: Delivery) -> int:
        openid = str(delivery.payload.get("openid", ""))
        if openid.startswith(CHAT_PREFIX):
            async with transaction(self.runtime.sessions) as session:
                await release(session, message_id=delivery.id, until=utcnow() + CHAT_HOLD)
            return 0
        held_until = quiet_until(delivery.payload.get("quiet"), utcnow())
        if held_until is not None:  # the recipient's quiet hours (a 催缴 reminder retried into the night)
            async with transaction(self.runtime.sessions) as session:
                await release(session, message_id=delivery.id, until=held_until)
            return 0
        try:
            await self._send(delivery, openid)
        except WeChatApiError as exc:
            async with transaction(self.runtime.sessions) as session:
                status = await mark_failed(session, message_id=delivery.id, attempts=delivery.attempts,
                                           error=str(exc), permanent=exc.permanent or not openid)
            metrics.OUTBOX.labels("failed").inc()
            log.warning("outbox #%s (%s) attempt %s failed: %s -> %s", delivery.id, delivery.kind,
                        delivery.attempts, exc, status)
            return 0
        async with transaction(self.runtime.sessions) as session:
            await mark_sent(session, message_id=delivery.id)
        metrics.OUTBOX.labels("sent").inc()
        log.info("outbox #%s (%s) sent to %s", delivery.id, delivery.kind, openid)
        return 1

    async def _send(self, delivery: Delivery, openid: str) -> None:
        payload = delivery.payload
        if not openid:
            raise WeChatApiError(40003, "no openid in the payload")
        if delivery.kind == "wechat.image":
            await self._send_image(payload, openid)
            return
        text = str(payload.get("text", ""))
        if delivery.kind == "wechat.template":
            template_id = self.runtime.settings.wechat_template_ids.get(str(payload.get("template", "")))
            if template_id:
                await self.api.send_template(openid=openid, template_id=template_id,
                                             data=payload.get("data") or {"content": text}, url=payload.get("url"))
                return
            log.info("outbox #%s: no template id for %r; sent as a customer-service text", delivery.id,
                     payload.get("template"))
        if not text.strip():
            raise WeChatApiError(44002, "empty text")
        await self.api.send_text(openid=openid, text=text)

    async def _send_image(self, payload: dict, openid: str) -> None:
        data, name = await asyncio.to_thread(self._read_image, str(payload.get("path", "")))
        media_id = await self.api.upload_image(data=data, filename=name)
        await self.api.send_image(openid=openid, media_id=media_id)

    def _read_image(self, relative: str) -> tuple[bytes, str]:
        """The PNG under the media folder (never outside it); a missing file is a permanent failure."""
        media_dir = Path(self.runtime.settings.media_dir).resolve()
        path = (media_dir / relative).resolve()
        if media_dir not in path.parents or not path.is_file():
            raise WeChatApiError(40007, f"image {relative!r} is missing")
        return path.read_bytes(), path.name
