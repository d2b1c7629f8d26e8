"""Database work for CLI commands: a runtime of its own for one piece of work, closed afterwards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from workflows.settings import Settings

T = TypeVar("T")


async def in_session(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run `work(session)` in a session (reads; the caller commits if it writes)."""
    from workflows.runtime import Runtime

    runtime = Runtime.from_settings(settings or Settings())
    try:
        async with runtime.sessions() as session:
            return await work(session)
    finally:
        await runtime.close()


async def in_transaction(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run `work(session)` in one transaction: committed when it returns, rolled back when it raises."""

    async def transactional(session: Any) -> T:
        async with session.begin():
            return await work(session)

    return await in_session(transactional, settings)
