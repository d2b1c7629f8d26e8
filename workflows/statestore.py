"""The state store: conversation state, deduplication, per-owner locks, rate limits, the access-token cache.

Redis in production (shared by every worker); an in-process store in the embedded default. Both speak the same
small interface, and every key goes through the store's prefix so several deployments can share one Redis.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol


class StateStoreUnavailable(Exception):
    """The state store did not answer; callers give an honest short reply and keep nothing half-done."""


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

    async def close(self) -> None:
        return None


class RedisStateStore:
    """Redis through redis.asyncio; errors become StateStoreUnavailable."""

    _UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

    def __init__(self, url: str, prefix: str = "linli:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2,
                                     health_check_interval=30)
        self._prefix = prefix
        self._errors = (redis.RedisError, OSError)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def _call(self, method: str, *args: object, **kwargs: object) -> object:
        try:
            return await getattr(self._redis, method)(*args, **kwargs)
        except self._errors as exc:
            raise StateStoreUnavailable(str(exc)) from exc

    async def get(self, key: str) -> str | None:
        return await self._call("get", self._k(key))  # type: ignore[return-value]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """One MGET: several values in one round trip."""
        return await self._call("mget", [self._k(key) for key in keys])  # type: ignore[return-value]

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        await self._call("set", self._k(key), value, px=None if ttl_s is None else int(ttl_s * 1000))

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        return bool(await self._call("set", self._k(key), value, nx=True, px=int(ttl_s * 1000)))

    async def delete(self, key: str) -> None:
        await self._call("delete", self._k(key))

    async def incr(self, key: str, ttl_s: float) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._k(key))
                pipe.pexpire(self._k(key), int(ttl_s * 1000), nx=True)
                value, _ = await pipe.execute()
        except self._errors as exc:
            raise StateStoreUnavailable(str(exc)) from exc
        return int(value)

    async def add_to_set(self, key: str, members: Iterable[str]) -> None:
        """SADD, 1000 members per command."""
        chunk: list[str] = []
        for member in members:
            chunk.append(member)
            if len(chunk) == 1000:
                await self._call("sadd", self._k(key), *chunk)
                chunk = []
        if chunk:
            await self._call("sadd", self._k(key), *chunk)

    async def in_set(self, key: str, members: Sequence[str]) -> list[bool]:
        """SMISMEMBER: membership of several members in one round trip."""
        found = await self._call("smismember", self._k(key), list(members))
        return [bool(one) for one in found]  # type: ignore[union-attr]

    async def ping(self) -> bool:
        return bool(await self._call("ping"))

    @asynccontextmanager
    async def lock(self, key: str, timeout_s: float = 10.0) -> AsyncIterator[None]:
        """A lease lock (SET NX PX, released by compare-and-delete) that every worker respects."""
        token = uuid.uuid4().hex
        name = self._k("lock:" + key)
        deadline = time.monotonic() + timeout_s
        delay = 0.002
        while not await self._call("set", name, token, nx=True, px=int(timeout_s * 1000) + 5000):
            if time.monotonic() > deadline:
                raise StateStoreUnavailable(f"lock {key} busy")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            await self._call("eval", self._UNLOCK, 1, name, token)

    async def close(self) -> None:
        await self._redis.aclose()


def make_state_store(redis_url: str, prefix: str = "linli:") -> StateStore:
    """Redis when a URL is configured, else the in-process store."""
    return RedisStateStore(redis_url, prefix) if redis_url else MemoryStateStore()
