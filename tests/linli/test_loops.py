"""Which loops run where: a web process always flushes its own message log; shared work only in workers."""

import asyncio

from linli.loops import Loop, LoopRunner


async def test_web_process_without_workers_still_runs_its_process_loops():
    ran: list[str] = []

    def step(name: str):
        async def run_once() -> None:
            ran.append(name)
        return run_once

    runner = LoopRunner([Loop("transcript", 60, step("transcript"), scope="process"),
                         Loop("wechat-delivery", 60, step("wechat-delivery"))], include_worker_loops=False)
    runner.start()
    await asyncio.sleep(0.05)
    await runner.stop()
    assert ran == ["transcript"]


async def test_a_failing_step_does_not_stop_its_loop():
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")

    runner = LoopRunner([Loop("flaky", 0.01, flaky)], include_worker_loops=True)
    runner.start()
    await asyncio.sleep(0.1)
    await runner.stop()
    assert calls >= 2
