"""One Redis connection shared by every task of the process, as Lettuce and NRedisStack do it (multiplexing):
commands issued in the same event-loop iteration leave in one write, and replies are handed back in order, since
Redis answers each connection's commands in the order they arrived. The state store (workflows.statestore) talks to
Redis only through this.

Why not redis-py, which the store used before: the webhook's two round trips cost ~340 us of client CPU per message
through redis-py's pool, retry, script and pipeline layers and ~16 us through this (benchmarks/redis_round_trips.py,
50 concurrent; coredis, which multiplexes too, ~680 us). Encoding and parsing are hiredis's (C); what is left here
is the queue of callers and the connection's life.

- A batch (`execute(*commands)`) is written contiguously, so MULTI ... EXEC inside one batch is atomic as usual.
- Every batch must be answered within `reply_timeout_s`; one watchdog timer (not a timer per batch) checks the
  oldest. A late answer means a hung server or a half-open connection: the connection is dropped, every waiting
  caller gets TimeoutError, and the next batch connects afresh.
- A lost connection fails the waiting callers (ConnectionError); nothing is retried, because a command that reached
  Redis must not run twice (the store reports StateStoreUnavailable and the webhook queues the message for replay).
- Error replies are returned in place as hiredis.ReplyError, for the caller to judge (NOSCRIPT, WRONGTYPE, ...).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import hiredis

Command = tuple[str | bytes | int | float, ...]


class _Batch:
    __slots__ = ("future", "left", "replies", "deadline")

    def __init__(self, future: asyncio.Future[list[Any]], left: int, deadline: float) -> None:
        self.future = future
        self.left = left
        self.replies: list[Any] = []
        self.deadline = deadline


class _Wire(asyncio.Protocol):
    """The protocol of one connection: the write buffer of this loop iteration, the batches awaiting replies."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reply_timeout_s: float) -> None:
        self.loop = loop
        self.reply_timeout_s = reply_timeout_s
        self.reader = hiredis.Reader(encoding="utf-8", errors="replace")
        self.waiting: collections.deque[_Batch] = collections.deque()
        self.outgoing: list[bytes] = []
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._watchdog: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol --------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader, waiting = self.reader, self.waiting
        reader.feed(data)
        try:
            while (reply := reader.gets()) is not False:
                batch = waiting[0]
                batch.replies.append(reply)
                batch.left -= 1
                if not batch.left:
                    waiting.popleft()
                    if not batch.future.done():  # a caller that was cancelled no longer listens
                        batch.future.set_result(batch.replies)
        except (hiredis.ProtocolError, IndexError) as exc:  # garbage, or a reply nobody asked for
            self.fail(ConnectionError(f"Redis protocol error: {exc!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError(f"Redis connection lost: {exc or 'closed by the server'}"))

    # --- sending -----------------------------------------------------------------------------------------------
    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Any]]:
        future = self.loop.create_future()
        if self.closed:
            future.set_exception(ConnectionError("Redis connection closed"))
            return future
        deadline = self.loop.time() + self.reply_timeout_s
        self.waiting.append(_Batch(future, len(commands), deadline))
        if not self.outgoing:  # the first batch of this loop iteration: write them all at its end
            self.loop.call_soon(self._flush)
        self.outgoing.extend([hiredis.pack_command(command) for command in commands])
        if self._watchdog is None:
            self._watchdog = self.loop.call_at(deadline, self._check_deadline)
        return future

    def _flush(self) -> None:
        outgoing, self.outgoing = self.outgoing, []
        if outgoing and not self.closed and self.transport is not None:
            self.transport.write(b"".join(outgoing))

    def _check_deadline(self) -> None:
        self._watchdog = None
        if not self.waiting:
            return
        oldest = self.waiting[0].deadline
        if oldest <= self.loop.time():
            self.fail(TimeoutError(f"Redis did not answer within {self.reply_timeout_s} s"))
        else:
            self._watchdog = self.loop.call_at(oldest, self._check_deadline)

    def fail(self, exc: Exception) -> None:
        """Drop the connection and fail every caller still waiting."""
        if not self.closed:
            self.closed = True
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            if self.transport is not None:
                self.transport.abort()
        waiting, self.waiting = self.waiting, collections.deque()
        for batch in waiting:
            if not batch.future.done():
                batch.future.set_exception(exc)


class MultiplexedRedis:
    """A client for one Redis URL (redis://, rediss://, unix://; user, password and db honoured)."""

    def __init__(self, url: str, *, connect_timeout_s: float, reply_timeout_s: float) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.reply_timeout_s = reply_timeout_s
        self._target, self._setup = _parse_url(url)
        self._wire: _Wire | None = None
        self._connecting: asyncio.Future[_Wire] | None = None

    async def execute(self, *commands: Command) -> list[Any]:
        """Send the commands together; their replies, in order (error replies as hiredis.ReplyError objects).
        Raises ConnectionError/OSError when Redis cannot be reached or the connection is lost, TimeoutError when
        it does not answer in time."""
        wire = self._wire
        if wire is None or wire.closed or wire.loop is not asyncio.get_running_loop():
            wire = await self._connect()
        return await wire.send(commands)

    async def _connect(self) -> _Wire:
        """The current connection, or a new one; tasks that need one at the same moment share one attempt."""
        loop = asyncio.get_running_loop()
        connecting = self._connecting
        if connecting is None or connecting.done() or connecting.get_loop() is not loop:
            connecting = self._connecting = loop.create_task(self._open(loop))
            connecting.add_done_callback(_retrieve)
        return await asyncio.shield(connecting)  # a caller that gives up does not cancel the others' attempt

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Wire:
        async with asyncio.timeout(self.connect_timeout_s):
            wire = await self._handshake(loop)
        self._wire = wire
        return wire

    async def _handshake(self, loop: asyncio.AbstractEventLoop) -> _Wire:
        target = self._target
        if "path" in target:
            _, wire = await loop.create_unix_connection(lambda: _Wire(loop, self.reply_timeout_s), target["path"])
        else:
            _, wire = await loop.create_connection(lambda: _Wire(loop, self.reply_timeout_s), target["host"],
                                                   target["port"], ssl=target.get("ssl"))
        try:  # AUTH and SELECT before anything else goes out
            replies = await wire.send(self._setup) if self._setup else []
        except BaseException:
            wire.fail(ConnectionError("Redis connection set-up did not finish"))
            raise
        refused = [reply for reply in replies if isinstance(reply, hiredis.ReplyError)]
        if refused:
            wire.fail(ConnectionError(str(refused[0])))
            raise ConnectionError(f"Redis refused the connection set-up: {refused[0]}")
        return wire

    async def close(self) -> None:
        wire, self._wire = self._wire, None
        if wire is not None and not wire.closed:
            wire.fail(ConnectionError("Redis client closed"))


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a connection attempt's failure as seen (its callers got it, or gave up waiting)."""
    if not task.cancelled():
        task.exception()


def _parse_url(url: str) -> tuple[dict[str, Any], list[Command]]:
    """Where to connect and the set-up commands (AUTH, SELECT) of a redis://, rediss:// or unix:// URL."""
    parsed = urlparse(url)
    target: dict[str, Any]
    if parsed.scheme == "unix":
        target = {"path": unquote(parsed.path)}
    elif parsed.scheme in ("redis", "rediss"):
        target = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379}
        if parsed.scheme == "rediss":
            target["ssl"] = ssl.create_default_context()
    else:
        raise ValueError(f"not a Redis URL: {parsed.scheme}://")
    setup: list[Command] = []
    if parsed.password is not None:
        user = unquote(parsed.username) if parsed.username else None
        setup.append(("AUTH", user, unquote(parsed.password)) if user else ("AUTH", unquote(parsed.password)))
    query = dict(pair.partition("=")[::2] for pair in parsed.query.split("&") if pair)
    db = query.get("db") or (parsed.path.lstrip("/") if parsed.scheme != "unix" else "")
    if db and db != "0":
        setup.append(("SELECT", int(db)))
    return target, setup
