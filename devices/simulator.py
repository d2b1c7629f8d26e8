"""`linli devices simulate`: a virtual community on the broker, for the demo and the tests. Each device has a client
of its own (its own last will), like a real controller: gates acknowledge commands (deduplicating by command id and
refusing expired ones), meters report cumulative readings, sensors alarm on demand, and a gate can be made to
present a scanned or typed pass code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import aiomqtt
from pydantic import ValidationError

from devices.gateway import BrokerAddress
from devices.schema import (
    AccessData,
    AccessEvent,
    AckPayload,
    AlarmData,
    AlarmEvent,
    CommandPayload,
    ReadingData,
    ReadingEvent,
    StatusPayload,
    Topics,
    dump,
)
from workflows.clock import utcnow

log = logging.getLogger("linli.devices.simulator")
UNITS = {"water": "m3", "electricity": "kWh", "gas": "m3"}


@dataclass
class VirtualDevice:
    community: str  # Community.code
    code: str  # Device.code
    kind: str  # gate | camera | meter | alarm
    subtype: str
    reading: Decimal = Decimal("100.000")
    executed: list[str] = field(default_factory=list)  # command ids acted on, in order (each once)
    refuse_with: str = ""  # set to make a gate refuse: "jammed"


@dataclass
class Simulator:
    url: str
    root: str
    devices: list[VirtualDevice]
    meter_interval_s: float = 60.0
    ack_delay_s: float = 0.0
    _clients: dict[str, aiomqtt.Client] = field(default_factory=dict)
    _ready: dict[str, asyncio.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.broker = BrokerAddress.parse(self.url)
        self.topics = Topics(self.root)
        self.by_code = {d.code: d for d in self.devices}
        self._ready = {d.code: asyncio.Event() for d in self.devices}

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._device_loop(device, stop) for device in self.devices))

    async def ready(self, timeout_s: float = 10.0) -> None:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in self._ready.values())), timeout_s)

    def _client(self, device: VirtualDevice) -> aiomqtt.Client:
        status = self.topics.device(device.community, device.code, "status")
        will = aiomqtt.Will(status, dump(StatusPayload(status="offline")), qos=1, retain=True)
        return aiomqtt.Client(self.broker.hostname, self.broker.port, username=self.broker.username,
                              password=self.broker.password, will=will, keepalive=15, timeout=5,
                              identifier=f"sim-{device.code}-{secrets.token_hex(3)}")

    async def _device_loop(self, device: VirtualDevice, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with self._client(device) as client:
                    await self._serve(client, device, stop)
            except aiomqtt.MqttError as exc:
                log.warning("%s: broker unreachable (%s), retrying", device.code, exc)
            finally:
                self._clients.pop(device.code, None)
                self._ready[device.code].clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    async def _serve(self, client: aiomqtt.Client, device: VirtualDevice, stop: asyncio.Event) -> None:
        status = self.topics.device(device.community, device.code, "status")
        await client.publish(status, dump(StatusPayload(status="online")), qos=1, retain=True)
        if device.kind == "gate":
            await client.subscribe(f"{self.topics.root}/{device.community}/{device.code}/cmd/+", qos=1)
        self._clients[device.code] = client
        self._ready[device.code].set()
        tasks = [asyncio.create_task(stop.wait())]
        if device.kind == "gate":
            tasks.append(asyncio.create_task(self._gate(client, device)))
        if device.kind == "meter" and self.meter_interval_s > 0:
            tasks.append(asyncio.create_task(self._meter(device, stop)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if stop.is_set():  # a clean goodbye; a crash leaves it to the last will
            with contextlib.suppress(aiomqtt.MqttError):
                await client.publish(status, dump(StatusPayload(status="offline")), qos=1, retain=True)

    async def _gate(self, client: aiomqtt.Client, gate: VirtualDevice) -> None:
        async for message in client.messages:
            try:
                command = CommandPayload.model_validate_json(bytes(message.payload))
            except (ValidationError, TypeError):
                log.warning("%s: unreadable command on %s", gate.code, message.topic.value)
                continue
            if self.ack_delay_s:
                await asyncio.sleep(self.ack_delay_s)
            if command.id in gate.executed:
                ack = AckPayload(id=command.id, ok=True, at=utcnow())  # a redelivery: acknowledged, not repeated
            elif command.expires_at <= utcnow():
                ack = AckPayload(id=command.id, ok=False, error="expired", at=utcnow())
            elif gate.refuse_with:
                ack = AckPayload(id=command.id, ok=False, error=gate.refuse_with, at=utcnow())
            else:
                gate.executed.append(command.id)
                ack = AckPayload(id=command.id, ok=True, at=utcnow())
            await client.publish(self.topics.device(gate.community, gate.code, "ack", command.id), dump(ack), qos=1)

    async def _meter(self, meter: VirtualDevice, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.report_reading(meter.code)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.meter_interval_s)

    async def _publish_event(self, code: str, event: AccessEvent | AlarmEvent | ReadingEvent) -> None:
        device = self.by_code[code]
        await self._ready[code].wait()
        await self._clients[code].publish(self.topics.device(device.community, code, "event"), dump(event), qos=1)

    async def report_reading(self, code: str, *, at: datetime | None = None, step: Decimal = Decimal("0.125")) -> None:
        meter = self.by_code[code]
        meter.reading += step
        await self._publish_event(code, ReadingEvent(
            type="reading", id=secrets.token_hex(8), at=at or utcnow(),
            data=ReadingData(value=meter.reading, unit=UNITS.get(meter.subtype, "m3"))))

    async def alarm(self, code: str, *, clear: bool = False, detail: str = "") -> str:
        sensor = self.by_code[code]
        event_id = secrets.token_hex(8)
        await self._publish_event(code, AlarmEvent(type="alarm_clear" if clear else "alarm", id=event_id, at=utcnow(),
                                                   data=AlarmData(alarm=sensor.subtype, detail=detail)))
        return event_id

    async def present(self, code: str, pass_code: str, *, method: str = "qr") -> str:
        """Someone scans a QR pass (or types a backup code) at this gate."""
        event_id = secrets.token_hex(8)
        await self._publish_event(code, AccessEvent(type="access", id=event_id, at=utcnow(),
                                                    data=AccessData(method=method, code=pass_code)))
        return event_id
