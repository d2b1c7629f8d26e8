"""The state store: conversation state, deduplication, per-owner locks, rate limits, the access-token cache.

Redis in production (shared by every worker); an in-process store in the embedded default. Both speak the same
small interface, and every key goes through the store's prefix so several deployments can share one Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from hiredis import ReplyError


class StateStoreUnavailable(Exception):
    """The state store did not answer; callers give an honest short reply and keep nothing half-done."""


@dataclass
class MessageClaim:
    """The first round trip of a webhook message: the MsgId claimed (or not: a retry), and — when the owner's lock
    was free — the lock taken and the owner's keys read, all in one call."""

    first: bool
    previous: str | None = None  # the stored value of a retry ("processing" or "done:<reply>")
    token: str | None = None  # the lock's token when it was taken in the same round trip
    prefetched: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Turn:
    """One owner's turn under their lock. Reads of the prefetched keys are answered from memory; writes of the
    `deferrable` keys wait and go out with the unlock, in one pipeline, with the `after` writes (the answer kept for
    WeChat's retries). Safe because no one else reads those keys while the lock is held."""

    known: dict[str, str | None] = field(default_factory=dict)
    deferrable: frozenset[str] = frozenset()
    pending: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    after: list[tuple[str, str, float | None]] = field(default_factory=list)
    open: bool = True  # a task spawned during the turn inherits it; after the turn it must write through again

    def write_after(self, key: str, value: str, ttl_s: float | None) -> None:
        self.after.append((key, value, ttl_s))


_turn: ContextVar[tuple[object, Turn] | None] = ContextVar("linli_state_turn", default=None)


class StateStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[str | None]: ...
    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...
    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl_s: float) -> int: ...
    async def add_to_set(self, key: str, members: Iterable[str]) -> None: ...
    async def in_set(self, key: str, members: Sequence[str]) -> list[bool]: ...
    async def ping(self) -> bool: ...
    def lock(self, key: str, timeout_s: float = 10.0) -> AsyncIterator[None]: ...
    async def claim_message(self, key: str, value: str, ttl_s: float, *, lock_key: str, lock_timeout_s: float,
                            prefetch: Sequence[str]) -> MessageClaim: ...
    def turn(self, lock_key: str, *, claim: MessageClaim | None, timeout_s: float,
             defer: Sequence[str]) -> AsyncIterator[Turn]: ...
    async def close(self) -> None: ...


class MemoryStateStore:
    """The embedded default: one process, TTLs honoured lazily, locks are asyncio locks."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._sets: dict[str, set[str]] = {}  # sets never expire; delete() drops them
        self._locks: dict[str, asyncio.Lock] = {}

    def _alive(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._alive(key)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self._alive(key) for key in keys]

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._values[key] = (value, None if ttl_s is None else time.monotonic() + ttl_s)

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        if self._alive(key) is not None:
            return False
        await self.set(key, value, ttl_s)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)
        self._sets.pop(key, None)

    async def incr(self, key: str, ttl_s: float) -> int:
        current = self._alive(key)
        value = int(current or 0) + 1
        expires = self._values[key][1] if current is not None else time.monotonic() + ttl_s
        self._values[key] = (str(value), expires)
        return value

    async def add_to_set(self, key: str, members: Iterable[str]) -> None:
        self._sets.setdefault(key, set()).update(members)

    async def in_set(self, key: str, members: Sequence[str]) -> list[bool]:
        found = self._sets.get(key, ())
        return [member in found for member in members]

    async def ping(self) -> bool:
        return True

    @asynccontextmanager
    async def lock(self, key: str, timeout_s: float = 10.0) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        if not lock.locked():  # the usual case: no timer, no task (wait_for costs one of each)
            await lock.acquire()
        else:
            try:
                await asyncio.wait_for(lock.acquire(), timeout_s)
            except TimeoutError as exc:
                raise StateStoreUnavailable(f"lock {key} busy") from exc
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    async def claim_message(self, key: str, value: str, ttl_s: float, *, lock_key: str, lock_timeout_s: float,
                            prefetch: Sequence[str]) -> MessageClaim:
        if await self.set_if_absent(key, value, ttl_s):
            return MessageClaim(first=True)
        return MessageClaim(first=False, previous=self._alive(key))

    @asynccontextmanager
    async def turn(self, lock_key: str, *, claim: MessageClaim | None, timeout_s: float,
                   defer: Sequence[str]) -> AsyncIterator[Turn]:
        async with self.lock(lock_key, timeout_s):
            turn = Turn()
            yield turn
            for key, value, ttl_s in turn.after:
                await self.set(key, value, ttl_s)

    async def close(self) -> None:
        return None


class RedisStateStore:
    """Redis through one multiplexed connection (workflows.multiplexed_redis); errors become StateStoreUnavailable,
    and so does a round trip that takes longer than TIMEOUT_S (one watchdog for the connection, not a timer per
    call). Scripts run by EVALSHA, sent again as EVAL when Redis does not have them (a restart, SCRIPT FLUSH)."""

    TIMEOUT_S = 2.0

    _UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    # KEYS: the MsgId's dedup key, the owner's lock, then the keys to read; ARGV: dedup value, its TTL (ms), the
    # lock token, the lock's TTL (ms). {0, previous}: a retry; {1}: claimed, lock busy; {2, values...}: both taken.
    _CLAIM = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0, redis.call('get', KEYS[1])} end
if not redis.call('set', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {1} end
local found = {2}
for i = 3, #KEYS do found[#found + 1] = redis.call('get', KEYS[i]) end
return found
"""

    def __init__(self, url: str, prefix: str = "linli:", *, timeout_s: float = TIMEOUT_S) -> None:
        from workflows.multiplexed_redis import MultiplexedRedis

        self.timeout_s = timeout_s
        self._redis = MultiplexedRedis(url, connect_timeout_s=timeout_s, reply_timeout_s=timeout_s)
        self._prefix = prefix
        self._scripts = {script: hashlib.sha1(script.encode()).hexdigest() for script in (self._UNLOCK, self._CLAIM)}

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def _run(self, *commands: tuple[Any, ...]) -> list[Any]:
        """The replies of commands sent together; a failure or an error reply raises StateStoreUnavailable."""
        replies = await self._send(commands)
        for reply in replies:
            if isinstance(reply, ReplyError):
                raise StateStoreUnavailable(str(reply))
        return replies

    async def _send(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        try:
            return await self._redis.execute(*commands)
        except (OSError, ConnectionError, TimeoutError) as exc:  # TimeoutError: no answer within timeout_s
            raise StateStoreUnavailable(str(exc) or type(exc).__name__) from exc

    def _evalsha(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> tuple[Any, ...]:
        return ("EVALSHA", self._scripts[script], len(keys), *keys, *args)

    async def _script(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run a Lua script: EVALSHA, or EVAL (which also caches it) when Redis does not have it yet."""
        (reply,) = await self._send([self._evalsha(script, keys, args)])
        if isinstance(reply, ReplyError) and str(reply).startswith("NOSCRIPT"):
            (reply,) = await self._run(("EVAL", script, len(keys), *keys, *args))
        elif isinstance(reply, ReplyError):
            raise StateStoreUnavailable(str(reply))
        return reply

    def _current_turn(self) -> Turn | None:
        current = _turn.get()
        return current[1] if current is not None and current[0] is self and current[1].open else None

    async def get(self, key: str) -> str | None:
        return (await self.get_many([key]))[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """One MGET: several values in one round trip (none for keys this turn already knows)."""
        turn = self._current_turn()
        missing = [key for key in keys if turn is None or key not in turn.known]
        fetched: dict[str, Any] = {}
        if missing:
            (values,) = await self._run(("MGET", *[self._k(key) for key in missing]))
            fetched = dict(zip(missing, values, strict=True))
        known = turn.known if turn is not None else {}
        return [fetched[key] if key in fetched else known[key] for key in keys]

    def _set_command(self, key: str, value: str, ttl_s: float | None) -> tuple[Any, ...]:
        if ttl_s is None:
            return ("SET", self._k(key), value)
        return ("SET", self._k(key), value, "PX", int(ttl_s * 1000))

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        turn = self._current_turn()
        if turn is not None and key in turn.deferrable:
            turn.pending[key] = (value, ttl_s)
            turn.known[key] = value
            return
        await self._run(self._set_command(key, value, ttl_s))

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        (reply,) = await self._run(("SET", self._k(key), value, "NX", "PX", int(ttl_s * 1000)))
        return reply is not None

    async def delete(self, key: str) -> None:
        turn = self._current_turn()
        if turn is not None:
            turn.pending.pop(key, None)
            turn.known[key] = None
        await self._run(("DEL", self._k(key)))

    async def incr(self, key: str, ttl_s: float) -> int:
        """INCR and a first expiry, atomically (MULTI ... EXEC, written together on the connection)."""
        name = self._k(key)
        *_, (value, _) = await self._run(("MULTI",), ("INCR", name), ("PEXPIRE", name, int(ttl_s * 1000), "NX"),
                                         ("EXEC",))
        return int(value)

    async def add_to_set(self, key: str, members: Iterable[str]) -> None:
        """SADD, 1000 members per command, the commands sent together."""
        commands: list[tuple[Any, ...]] = []
        chunk: list[str] = []
        for member in members:
            chunk.append(member)
            if len(chunk) == 1000:
                commands.append(("SADD", self._k(key), *chunk))
                chunk = []
        if chunk:
            commands.append(("SADD", self._k(key), *chunk))
        if commands:
            await self._run(*commands)

    async def in_set(self, key: str, members: Sequence[str]) -> list[bool]:
        """SMISMEMBER: membership of several members in one round trip."""
        (found,) = await self._run(("SMISMEMBER", self._k(key), *members))
        return [bool(one) for one in found]

    async def ping(self) -> bool:
        (reply,) = await self._run(("PING",))
        return reply == "PONG"

    @asynccontextmanager
    async def lock(self, key: str, timeout_s: float = 10.0) -> AsyncIterator[None]:
        """A lease lock (SET NX PX, released by compare-and-delete) that every worker respects."""
        name = self._k("lock:" + key)
        token = await self._acquire(name, key, timeout_s)
        try:
            yield
        finally:
            await self._release(name, token)

    async def _release(self, name: str, token: str) -> None:
        await self._script(self._UNLOCK, [name], [token])

    async def _acquire(self, name: str, key: str, timeout_s: float) -> str:
        token = os.urandom(16).hex()
        deadline = time.monotonic() + timeout_s
        delay = 0.002
        while (await self._run(("SET", name, token, "NX", "PX", int(timeout_s * 1000) + 5000)))[0] is None:
            if time.monotonic() > deadline:
                raise StateStoreUnavailable(f"lock {key} busy")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        return token

    async def claim_message(self, key: str, value: str, ttl_s: float, *, lock_key: str, lock_timeout_s: float,
                            prefetch: Sequence[str]) -> MessageClaim:
        """One round trip (a Lua script): claim the MsgId, take the owner's lock, read the owner's keys."""
        token = os.urandom(16).hex()
        keys = [self._k(key), self._k("lock:" + lock_key), *[self._k(k) for k in prefetch]]
        found = await self._script(self._CLAIM, keys, [value, int(ttl_s * 1000), token,
                                                       int(lock_timeout_s * 1000) + 5000])
        if found[0] == 0:
            return MessageClaim(first=False, previous=found[1])
        if found[0] == 1:
            return MessageClaim(first=True)
        values = list(found[1:]) + [None] * (len(prefetch) - len(found) + 1)  # trailing nils may be dropped
        return MessageClaim(first=True, token=token, prefetched=dict(zip(prefetch, values, strict=True)))

    @asynccontextmanager
    async def turn(self, lock_key: str, *, claim: MessageClaim | None, timeout_s: float,
                   defer: Sequence[str]) -> AsyncIterator[Turn]:
        """The owner's lock (taken already by claim_message, or now); deferred writes, the `after` writes and the
        unlock leave together at the end. After an error only the unlock is sent."""
        name = self._k("lock:" + lock_key)
        taken = claim is not None and claim.token is not None
        token = claim.token if taken else await self._acquire(name, lock_key, timeout_s)
        turn = Turn(known=dict(claim.prefetched) if taken else {}, deferrable=frozenset(defer))
        reset = _turn.set((self, turn))
        finished = False
        try:
            yield turn
            finished = True
        finally:
            turn.open = False
            _turn.reset(reset)
            await self._finish_turn(name, token, turn if finished else Turn())

    async def _finish_turn(self, name: str, token: str, turn: Turn) -> None:
        """The SETs and the unlock's EVALSHA sent together (not a transaction: each stands alone). A Redis that lost
        the script gets the unlock again as EVAL."""
        writes = [self._set_command(key, value, ttl) for key, (value, ttl) in turn.pending.items()]
        writes += [self._set_command(key, value, ttl) for key, value, ttl in turn.after]
        if not writes:
            await self._release(name, token)
            return
        *written, unlocked = await self._send([*writes, self._evalsha(self._UNLOCK, [name], [token])])
        if isinstance(unlocked, ReplyError) and str(unlocked).startswith("NOSCRIPT"):
            await self._release(name, token)
        elif isinstance(unlocked, ReplyError):
            raise StateStoreUnavailable(str(unlocked))
        for reply in written:
            if isinstance(reply, ReplyError):
                raise StateStoreUnavailable(str(reply))

    async def close(self) -> None:
        await self._redis.close()


def make_state_store(redis_url: str, prefix: str = "linli:") -> StateStore:
    """Redis when a URL is configured, else the in-process store."""
    return RedisStateStore(redis_url, prefix) if redis_url else MemoryStateStore()
