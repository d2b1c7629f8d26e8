"""Background loops (outbox delivery, SLA timers, overdue escalations): inside the server process in the embedded
default, or in `linli worker` processes in production. Each loop is a coroutine called every `interval_s`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("linli.loops")


@dataclass(frozen=True)
class Loop:
    name: str
    interval_s: float
    run_once: Callable[[], Awaitable[object]]
    # "worker": shared work (outbox, timers) run by workers, or in-process in the embedded default;
    # "process": work of this very process (flushing its own message-log buffer), run wherever the process serves.
    scope: str = "worker"


async def run_forever(loop: Loop, stop: asyncio.Event) -> None:
    """Call the loop's step until stopped; a failing step is logged and tried again next interval."""
    while not stop.is_set():
        try:
            await loop.run_once()
        except Exception:  # noqa: BLE001 - a loop must survive its dependencies failing
            log.exception("loop %s failed; retrying in %.0fs", loop.name, loop.interval_s)
        try:
            await asyncio.wait_for(stop.wait(), loop.interval_s)
        except TimeoutError:
            pass


class LoopRunner:
    def __init__(self, loops: list[Loop], *, include_worker_loops: bool) -> None:
        self.loops = [loop for loop in loops if include_worker_loops or loop.scope == "process"]
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(run_forever(loop, self._stop), name=loop.name) for loop in self.loops]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
