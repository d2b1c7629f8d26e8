"""The message log writer (消息记录): entries are queued in memory on the hot path and written in batches with
workflows.messages.service.write_log_batch (one COPY on PostgreSQL) every ~0.5 s or BATCH entries. `flush()` before
opening an escalation so the transcript staff see is complete; `stop()` flushes what is left (the app lifespan, or
`linli chat` at exit)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from workflows.clock import utcnow
from workflows.messages.service import write_log_batch
from workflows.runtime import Runtime

log = logging.getLogger("linli.bot.transcript")

MAX_CONTENT = 2000  # a 5,000-character message is logged truncated
BATCH = 500  # one COPY of 500 entries: ~2 ms of event-loop time, ~4 us an entry (benchmarks/message_log.py)
INTERVAL_S = 0.5


class TranscriptWriter:
    def __init__(self, runtime: Runtime, *, interval_s: float = INTERVAL_S, batch: int = BATCH) -> None:
        self.runtime = runtime
        self.interval_s = interval_s
        self.batch = batch
        self._queue: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._early: asyncio.Task[None] | None = None

    def append(self, *, openid: str, direction: str, content: str, msg_type: str = "text",
               community_id: int | None = None, wechat_msg_id: str | None = None, channel: str = "wechat") -> None:
        """Queue one entry (no I/O); a full batch is written soon in the background."""
        self._queue.append({"openid": openid[:64], "direction": direction, "content": (content or "")[:MAX_CONTENT],
                            "msg_type": msg_type[:20], "community_id": community_id or None,
                            "wechat_msg_id": wechat_msg_id, "channel": channel, "created_at": utcnow()})
        if len(self._queue) >= self.batch and (self._early is None or self._early.done()):
            self._early = asyncio.get_running_loop().create_task(self.flush())

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def flush(self) -> int:
        """Write everything queued, `batch` rows per statement so no single write blocks the event loop for long
        (1,000 rows through an executemany INSERT held it ~16 ms); on a database error the rest is put back and
        tried next time. A connection of the pool, not a session: on PostgreSQL the batch is one COPY."""
        written = 0
        async with self._lock:
            while self._queue:
                chunk, self._queue = self._queue[:self.batch], self._queue[self.batch:]
                try:
                    async with self.runtime.engine.connect() as connection:
                        await write_log_batch(connection, entries=chunk)
                except Exception:
                    self._queue[:0] = chunk
                    del self._queue[10 * self.batch:]  # keep a bounded backlog while the database is away
                    raise
                written += len(chunk)
        return written

    async def run_once(self) -> None:
        """One step for a linli.loops.Loop (the app's lifespan runs it every interval_s)."""
        await self.flush()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except TimeoutError:
                pass
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - the log must not stop the bot
                log.exception("writing the message log failed; retrying")

    def start(self) -> None:
        """Flush in the background of the running event loop (for `linli chat` and tests; the app uses a Loop)."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="transcript-writer")

    async def stop(self) -> None:
        """Stop the background flushing and write what is left."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._early is not None:
            await asyncio.gather(self._early, return_exceptions=True)
        await self.flush()
