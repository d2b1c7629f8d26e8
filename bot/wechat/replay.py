"""Replaying messages that arrived while the state store was down (outbox kind "bot.replay", see intake.py).

Each due row is run through the bot under the owner's lock once the store answers again; the reply is queued as a
customer-service text (kind wechat.text) in the same transaction that marks the replay row sent. While the store is
still down the row is retried with the outbox's backoff.
"""

from __future__ import annotations

import logging

from bot.wechat import metrics
from bot.wechat.intake import LOCK_TIMEOUT_S, REPLAY_KIND, Responder, inbound_from_json
from workflows.db import transaction
from workflows.outbox.service import Delivery, enqueue, lease_due, mark_failed, mark_sent
from workflows.runtime import Runtime
from workflows.statestore import StateStoreUnavailable

log = logging.getLogger("linli.wechat.replay")


class Replayer:
    def __init__(self, runtime: Runtime, bot: Responder, *, batch: int = 20) -> None:
        self.runtime = runtime
        self.bot = bot
        self.batch = batch

    async def run_once(self) -> int:
        """Replay what is due; returns how many messages were answered."""
        async with transaction(self.runtime.sessions) as session:
            leased = await lease_due(session, kinds=(REPLAY_KIND,), limit=self.batch)
        done = 0
        for delivery in leased:
            done += await self._replay(delivery)
        return done

    async def _replay(self, delivery: Delivery) -> int:
        try:
            inbound = inbound_from_json(delivery.payload["inbound"])
        except (KeyError, TypeError) as exc:
            async with transaction(self.runtime.sessions) as session:
                await mark_failed(session, message_id=delivery.id, attempts=delivery.attempts,
                                  error=f"unreadable replay payload: {exc}", permanent=True)
            return 0
        try:
            await self.runtime.state.ping()
            async with self.runtime.state.lock(f"openid:{inbound.openid}", timeout_s=LOCK_TIMEOUT_S):
                reply = await self.bot.respond(inbound)
        except StateStoreUnavailable as exc:
            async with transaction(self.runtime.sessions) as session:
                await mark_failed(session, message_id=delivery.id, attempts=delivery.attempts,
                                  error=f"state store still unavailable: {exc}")
            return 0
        async with transaction(self.runtime.sessions) as session:
            for index, text in enumerate(t for t in [reply.text, *reply.extra] if t.strip()):
                await enqueue(session, kind="wechat.text", payload={"openid": inbound.openid, "text": text},
                              dedup_key=f"replayed:{delivery.id}:{index}")
            await mark_sent(session, message_id=delivery.id)
        metrics.REPLAYED.inc()
        log.info("replayed outbox #%s (%s)", delivery.id, inbound.dedup_key)
        return 1
