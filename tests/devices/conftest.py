"""Devices tests talk to the real Mosquitto at 127.0.0.1:1883 (under CI=true a missing broker fails) under a topic
root of their own, so parallel runs and other engineers' tests never see each other's messages."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from devices.gateway import DeviceGateway
from devices.simulator import Simulator, VirtualDevice
from tests.services import require
from workflows.runtime import Runtime

BROKER = "mqtt://127.0.0.1:1883"


@pytest.fixture
def broker() -> str:
    require("Mosquitto", "127.0.0.1", 1883)
    return BROKER


@pytest.fixture
def topic_root() -> str:
    return f"linli-test-{uuid.uuid4().hex[:10]}"


class Running:
    """Background tasks (gateway, simulator) stopped and awaited at the end of a test."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self, coroutine) -> asyncio.Task:  # noqa: ANN001
        task = asyncio.create_task(coroutine)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 10)
        for task in self.tasks:
            task.cancel()


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    tasks = Running()
    yield tasks
    await tasks.close()


def demo_virtual_devices() -> list[VirtualDevice]:
    """The devices workflows.devices.demo seeds for 阳光花园 (YGHY)."""
    return [VirtualDevice("YGHY", "gate-south-in", "gate", "door"),
            VirtualDevice("YGHY", "barrier-south", "gate", "barrier"),
            VirtualDevice("YGHY", "door-b1", "gate", "door"),
            VirtualDevice("YGHY", "meter-b1-101-water", "meter", "water"),
            VirtualDevice("YGHY", "smoke-b1", "alarm", "smoke"),
            VirtualDevice("YGHY", "lift-b1", "alarm", "elevator")]


async def start_gateway(runtime: Runtime, running: Running, *, url: str, root: str, handlers=None,  # noqa: ANN001
                        wait: bool = True) -> DeviceGateway:
    gateway = DeviceGateway(runtime=runtime, url=url, root=root, handlers=handlers or {})
    running.start(gateway.run(running.stop))
    if wait:
        await asyncio.wait_for(gateway.connected.wait(), 10)
    return gateway


async def start_simulator(running: Running, *, url: str, root: str, devices=None,  # noqa: ANN001
                          meter_interval_s: float = 0) -> Simulator:
    sim = Simulator(url=url, root=root, devices=devices or demo_virtual_devices(), meter_interval_s=meter_interval_s)
    running.start(sim.run(running.stop))
    await sim.ready()
    return sim


async def eventually(check, timeout_s: float = 20.0):  # noqa: ANN001 - generous: CI machines can be busy
    """Poll an async check until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        result = await check()
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.05)
