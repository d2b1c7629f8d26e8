"""Between the webhook and the bot: deduplication, one message at a time per owner, the 5-second deadline, and
what happens when the state store is down.

- WeChat retries a delivery up to three times; `dedup:<Inbound.dedup_key>` is set once ("processing", ~60 s) and
  then holds the answer ("done:<text>", ~30 s) so a retry gets the same reply and nothing runs twice.
- Messages of one openid run under the state store's lock `openid:<openid>`, in arrival order.
- Redis round trips: one Lua call claims the MsgId, takes the lock and reads the conversation and profile; one
  pipeline writes the conversation, the stored answer and releases the lock (workflows.statestore.Turn).
- The bot gets `settings.wechat_reply_budget_s`; past it the request is answered at once ("success") and the reply
  is written to the outbox (kind wechat.text, dedup key `late:<dedup_key>`) when it is ready.
- StateStoreUnavailable anywhere: the owner is told honestly (texts.BUSY) and the message is queued in the outbox
  (kind bot.replay); bot/wechat/replay.py runs it when the store is back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from bot.conversation import KEY as CONV_KEY
from bot.messages import Inbound, Location, Reply
from bot.wechat import metrics, texts
from workflows.bindings.service import PROFILE_CACHE_KEY
from workflows.db import transaction
from workflows.outbox.service import enqueue
from workflows.runtime import Runtime
from workflows.statestore import MessageClaim, StateStoreUnavailable

log = logging.getLogger("linli.wechat")

PROCESSING_TTL_S = 60.0
DONE_TTL_S = 30.0
LOCK_TIMEOUT_S = 10.0
REPLAY_KIND = "bot.replay"


@dataclass
class _Progress:
    """Between a request and its bot task: whether the request gave up waiting (late), and whether the answer
    for retries was committed to the unlock's pipeline (then the request waits for it instead)."""

    late: bool = False
    committed: bool = False
    remembered: bool = False


def _lock_key(inbound: Inbound) -> str:
    return f"openid:{inbound.openid}"


def _owner_keys(inbound: Inbound) -> list[str]:
    """What the bot reads first for every message: the conversation and the cached owner profile."""
    return [CONV_KEY.format(openid=inbound.openid), PROFILE_CACHE_KEY.format(openid=inbound.openid)]


class Responder(Protocol):
    async def respond(self, inbound: Inbound) -> Reply: ...


def inbound_to_json(inbound: Inbound) -> dict[str, Any]:
    return dataclasses.asdict(inbound)


def inbound_from_json(data: dict[str, Any]) -> Inbound:
    values = dict(data)
    if values.get("location"):
        values["location"] = Location(**values["location"])
    return Inbound(**values)


async def enqueue_texts(runtime: Runtime, *, openid: str, texts_: list[str], dedup_key: str) -> None:
    """Queue customer-service text messages (one outbox row each, idempotent by dedup key)."""
    async with transaction(runtime.sessions) as session:
        for index, text in enumerate(t for t in texts_ if t.strip()):
            key = dedup_key if index == 0 else f"{dedup_key}:{index}"
            await enqueue(session, kind="wechat.text", payload={"openid": openid, "text": text}, dedup_key=key)


async def _finished_within(task: asyncio.Task[Any], seconds: float) -> bool:
    """Wait for the task at most `seconds` without cancelling it (asyncio.wait, minus its bookkeeping)."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def wake(*_: object) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(seconds, wake)
    task.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
    return task.done()


class Intake:
    """Turns one verified Inbound into the text of a passive reply ("" means answer "success")."""

    def __init__(self, *, runtime: Runtime, bot: Responder, budget_s: float | None = None) -> None:
        self.runtime = runtime
        self.bot = bot
        self.budget_s = runtime.settings.wechat_reply_budget_s if budget_s is None else budget_s
        self._background: set[asyncio.Task[Any]] = set()

    async def handle(self, inbound: Inbound) -> str:
        """Two state-store round trips for a message in the usual case (benchmarks/webhook.py --production): one
        claims the MsgId, takes the owner's lock and reads their conversation and profile; one writes the
        conversation, the answer for retries and releases the lock (workflows.statestore: claim_message, turn)."""
        state = self.runtime.state
        key = "dedup:" + inbound.dedup_key
        try:
            claim = await state.claim_message(key, "processing", PROCESSING_TTL_S, lock_key=_lock_key(inbound),
                                              lock_timeout_s=LOCK_TIMEOUT_S, prefetch=_owner_keys(inbound))
            if not claim.first:
                metrics.DEDUP_HITS.inc()
                return await self._answer_of_retry(key, claim.previous)
        except StateStoreUnavailable as exc:
            return await self._queue_replay(inbound, exc)
        progress = _Progress()
        task = asyncio.create_task(self._respond(inbound, claim, key, progress))
        try:
            in_time = await _finished_within(task, self.budget_s)
            if not in_time and progress.committed:  # the answer is being written with the unlock: moments away
                await task
                in_time = True
        except asyncio.CancelledError:  # the request went away (WeChat hung up): the reply still goes out
            if not progress.committed:  # committed: a retry will find the answer stored with the unlock
                progress.late = True
                self._later(inbound, key, task)
            raise
        if not in_time:
            progress.late = True
            self._later(inbound, key, task)
            metrics.REPLIES.labels("async").inc()
            return ""
        reply, queued = task.result()
        if reply.extra and not queued:
            await enqueue_texts(self.runtime, openid=inbound.openid, texts_=reply.extra,
                                dedup_key=f"extra:{inbound.dedup_key}")
        if not queued and not progress.remembered:
            await self._remember(key, reply.text)
        metrics.REPLIES.labels("passive").inc()
        return reply.text

    def _later(self, inbound: Inbound, key: str, task: asyncio.Task[tuple[Reply, bool]]) -> None:
        late = asyncio.create_task(self._deliver_late(inbound, key, task))
        self._background.add(late)
        late.add_done_callback(self._background.discard)

    async def _respond(self, inbound: Inbound, claim: MessageClaim | None, key: str,
                       progress: _Progress) -> tuple[Reply, bool]:
        """Run the bot under the owner's lock; (reply, True) when the message was queued for replay instead.
        Unless the request was answered "success" already (late), the answer for retries is written with the unlock."""
        try:
            async with self.runtime.state.turn(_lock_key(inbound), claim=claim, timeout_s=LOCK_TIMEOUT_S,
                                               defer=_owner_keys(inbound)) as turn:
                reply = await self.bot.respond(inbound)
                if not progress.late:
                    turn.write_after(key, "done:" + reply.text, DONE_TTL_S)
                    progress.committed = True
            progress.remembered = progress.committed
            return reply, False
        except StateStoreUnavailable as exc:
            return Reply(await self._queue_replay(inbound, exc)), True
        except Exception:  # noqa: BLE001 - the owner gets an apology, never an error page
            log.exception("bot failed on %s", inbound.dedup_key)
            return Reply(texts.SORRY), False

    async def _deliver_late(self, inbound: Inbound, key: str, task: asyncio.Task[tuple[Reply, bool]]) -> None:
        """The request was already answered "success": the reply goes out as a customer-service message."""
        try:
            reply, queued = await task
            if not queued:
                await enqueue_texts(self.runtime, openid=inbound.openid, texts_=[reply.text, *reply.extra],
                                    dedup_key=f"late:{inbound.dedup_key}")
                await self._remember(key, "")
        except Exception:  # noqa: BLE001 - logged; WeChat already has its "success"
            log.exception("late reply of %s could not be queued", inbound.dedup_key)

    async def _remember(self, key: str, text: str) -> None:
        try:
            await self.runtime.state.set(key, "done:" + text, DONE_TTL_S)
        except StateStoreUnavailable:
            log.warning("could not store the answer of %s for retries", key)

    async def _answer_of_retry(self, key: str, value: str | None) -> str:
        """A retry: the stored answer, or, while the first delivery is still running, "success" after a short wait."""
        deadline = time.monotonic() + self.budget_s
        delay = 0.005
        while True:
            if value is not None and value.startswith("done:"):
                return value[5:]
            if value is None or time.monotonic() + delay > deadline:
                return ""
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
            value = await self.runtime.state.get(key)

    async def _queue_replay(self, inbound: Inbound, exc: Exception) -> str:
        log.warning("state store unavailable (%s); queueing %s for replay", exc, inbound.dedup_key)
        try:
            async with transaction(self.runtime.sessions) as session:
                await enqueue(session, kind=REPLAY_KIND, payload={"inbound": inbound_to_json(inbound)},
                              dedup_key=f"replay:{inbound.dedup_key}")
        except IntegrityError:  # a concurrent retry of the same message queued it first
            log.info("%s was already queued for replay", inbound.dedup_key)
        await self._remember("dedup:" + inbound.dedup_key, texts.BUSY)
        return texts.BUSY

    async def drain(self) -> None:
        """Wait for replies still being prepared past the budget (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
