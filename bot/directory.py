"""Communities and their buildings as dialogs show them, read through a small per-process cache (one minute):
they change a few times a year, and a dialog step should not need a database query to list them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workflows.community.service import default_community_id, list_buildings, list_communities
from workflows.runtime import Runtime

TTL_S = 60.0


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    code: str = ""


_cache: dict[tuple[str, str], tuple[float, Any]] = {}


async def _cached(runtime: Runtime, what: str, load: Callable[[], Awaitable[Any]]) -> Any:
    key = (runtime.settings.database_url, what)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = await load()
    _cache[key] = (now + TTL_S, value)
    return value


def forget() -> None:
    """Drop everything cached (tests, or after staff edit buildings)."""
    _cache.clear()


async def communities(runtime: Runtime) -> list[Place]:
    async def load() -> list[Place]:
        async with runtime.sessions() as session:
            return [Place(c.id, c.name, c.code) for c in await list_communities(session)]

    return await _cached(runtime, "communities", load)


async def buildings(runtime: Runtime, community_id: int) -> list[Place]:
    async def load() -> list[Place]:
        async with runtime.sessions() as session:
            return [Place(b.id, b.name) for b in await list_buildings(session, community_id=community_id)]

    return await _cached(runtime, f"buildings:{community_id}", load)


async def default_community(runtime: Runtime) -> int:
    async def load() -> int:
        async with runtime.sessions() as session:
            return await default_community_id(session) or 0

    return await _cached(runtime, "default-community", load)


async def sole_community(runtime: Runtime) -> int | None:
    """The account's only community; None when it has several (or none yet)."""
    places = await communities(runtime)
    return places[0].id if len(places) == 1 else None
