"""The device gateway: the one process that holds the MQTT broker connection (`linli devices gateway`, or a task in
the server when LINLI_MQTT_URL is set and LINLI_MQTT_GATEWAY_IN_PROCESS is true).

It publishes queued commands from the database (web processes never talk to the broker), turns acks, statuses,
retained states and events into rows, and expires commands nobody acknowledged. Each reconnect attempt builds a
NEW aiomqtt client (a client cannot be reused after a failed connect). A malformed message is logged and dropped;
one bad message never stops the subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from devices.adapters import adapter_for
from devices.schema import (
    AccessEvent,
    AckPayload,
    AlarmEvent,
    MalformedMessage,
    ReadingEvent,
    StatePayload,
    StatusPayload,
    Topics,
    command_payload,
)
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import CommandStatus, Device
from workflows.runtime import Runtime

log = logging.getLogger("linli.devices.gateway")

# What an event does beyond being stored, wired by the composition root: (session, device, event) inside the
# transaction that stores the event, so an access check and the open command it leads to commit together.
EventHandler = Callable[[AsyncSession, Device, Any], Awaitable[None]]


@dataclass(frozen=True)
class BrokerAddress:
    hostname: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"LINLI_MQTT_URL must look like mqtt://user:password@host:1883, not {url!r}")
        return cls(hostname=parts.hostname, port=parts.port or 1883,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)

    def __str__(self) -> str:
        return f"mqtt://{self.hostname}:{self.port}"


@dataclass(frozen=True)
class KnownDevice:
    id: int
    community_id: int
    household_id: int | None
    subtype: str
    adapter: str


@dataclass
class GatewayCounters:
    received: int = 0
    dropped: int = 0  # malformed or from unknown devices
    published: int = 0
    connects: int = 0
    last_error: str = ""


@dataclass
class DeviceGateway:
    runtime: Runtime
    url: str
    root: str = "linli"
    name: str = "default"
    handlers: dict[str, EventHandler] = field(default_factory=dict)  # "access", "alarm", "alarm_clear"
    poll_s: float = 0.05  # how often queued commands are looked for
    heartbeat_s: float = 5.0
    counters: GatewayCounters = field(default_factory=GatewayCounters)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    flush_s: float = 0.2  # readings are written in batches at least this often
    batch: int = 500  # … or when this many are waiting

    def __post_init__(self) -> None:
        self.broker = BrokerAddress.parse(self.url)
        self.topics = Topics(self.root)
        self._devices: dict[tuple[str, str], KnownDevice] = {}  # (community code, device code) -> what it is
        self._readings: list[devices.IncomingReading] = []
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish queued commands now instead of at the next poll (in-process callers)."""
        self._wake.set()

    # --- the connection ----------------------------------------------------------------------------------------
    def _client(self) -> aiomqtt.Client:
        """A new client for every attempt; its last will tells everyone the gateway is gone."""
        will = aiomqtt.Will(self.topics.gateway_status(self.name), b'{"status":"offline"}', qos=1, retain=True)
        return aiomqtt.Client(self.broker.hostname, self.broker.port, username=self.broker.username,
                              password=self.broker.password, identifier=f"linli-gw-{self.name}-{secrets.token_hex(4)}",
                              will=will, keepalive=15, timeout=5)

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve, and reconnect with backoff until `stop` is set."""
        backoff = 0.5
        while not stop.is_set():
            try:
                async with self._client() as client:
                    self.counters.connects += 1
                    backoff = 0.5
                    await self._serve(client, stop)
            except aiomqtt.MqttError as exc:
                self.counters.last_error = str(exc)[:300]
                log.warning("broker %s unreachable: %s; retrying in %.1fs", self.broker, exc, backoff)
            finally:
                self.connected.clear()
            if stop.is_set():
                break
            await self._beat(connected=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 10.0)
        await self._beat(connected=False)

    async def _serve(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        await client.publish(self.topics.gateway_status(self.name), b'{"status":"online"}', qos=1, retain=True)
        for topic in self.topics.subscriptions():
            await client.subscribe(topic, qos=1)
        await self._beat(connected=True)
        self.connected.set()
        log.info("gateway %s connected to %s under %s/", self.name, self.broker, self.root)
        tasks = [asyncio.create_task(self._receive(client)), asyncio.create_task(self._send(client, stop)),
                 asyncio.create_task(self._flush_readings_every(stop)), asyncio.create_task(stop.wait())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.flush_readings()
        if stop.is_set():
            with contextlib.suppress(aiomqtt.MqttError):
                await client.publish(self.topics.gateway_status(self.name), b'{"status":"offline"}', qos=1,
                                     retain=True)

    async def _beat(self, *, connected: bool) -> None:
        try:
            async with transaction(self.runtime.sessions) as session:
                await devices.gateway_heartbeat(session, name=self.name, connected=connected, broker=str(self.broker),
                                                error="" if connected else self.counters.last_error)
        except Exception:  # noqa: BLE001 - the heartbeat must not take the gateway down
            log.exception("gateway heartbeat failed")

    # --- commands out ------------------------------------------------------------------------------------------
    async def _send(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.heartbeat_s
        while not stop.is_set():
            await self.publish_due(client)
            if loop.time() >= next_beat:
                await self._beat(connected=True)
                next_beat = loop.time() + self.heartbeat_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()

    async def publish_due(self, client: aiomqtt.Client) -> int:
        """Expire overdue commands, then publish queued ones: marked sent first (committed), then published once.
        A publish that fails marks the command failed; nothing is re-sent."""
        async with transaction(self.runtime.sessions) as session:
            await devices.expire_overdue(session)
            due = await devices.commands_to_send(session)
            outgoing = []
            for command in due:
                device = await session.get(Device, command.device_id)
                community = await self._community_code(session, device)
                await devices.transition_command(session, command, "send")
                payload = command_payload(command_id=command.command_id, action=command.action,
                                          params=command.params, issued_at=command.created_at,
                                          expires_at=command.expires_at)
                outgoing.append((command.command_id, self.topics.cmd(community, device.code, command.command_id),
                                 adapter_for(device.adapter).encode_command(payload)))
        for command_id, topic, payload in outgoing:
            try:
                await client.publish(topic, payload, qos=1, retain=False)
                self.counters.published += 1
            except aiomqtt.MqttError as exc:
                await self._fail(command_id, f"publish failed: {exc}")
                raise
        return len(outgoing)

    async def _fail(self, command_id: str, error: str) -> None:
        async with transaction(self.runtime.sessions) as session:
            command = await devices.command_by_id(session, command_id=command_id)
            if command is not None and command.status in (CommandStatus.QUEUED, CommandStatus.SENT):
                await devices.transition_command(session, command, "fail", error=error)

    async def _community_code(self, session: AsyncSession, device: Device) -> str:
        from workflows.community.models import Community

        community = await session.get(Community, device.community_id)
        return community.code

    # --- messages in -------------------------------------------------------------------------------------------
    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            self.counters.received += 1
            payload = message.payload if isinstance(message.payload, bytes | bytearray) else \
                str(message.payload or "").encode()
            try:
                await self.handle(message.topic.value, bytes(payload))
            except MalformedMessage as exc:
                self.counters.dropped += 1
                log.warning("dropped %s: %s", message.topic.value, exc)
            except Exception:  # noqa: BLE001 - one message never stops the subscriber
                self.counters.dropped += 1
                log.exception("message on %s failed; dropped", message.topic.value)

    async def handle(self, topic_text: str, payload: bytes) -> None:
        """One inbound message: topic → device → adapter → rows (and the handlers for access and alarms).
        Readings only join the next batch write; everything else is handled in a transaction of its own."""
        topic = self.topics.parse(topic_text)
        if topic.kind == "cmd" or topic.community == "_gateway":
            return  # our own commands and gateway statuses
        known = await self._known(topic.community, topic.device)
        message = adapter_for(known.adapter).decode(topic.kind, payload)
        if isinstance(message, ReadingEvent):
            self._readings.append(devices.IncomingReading(
                device_id=known.id, community_id=known.community_id, household_id=known.household_id,
                meter_type=known.subtype, event_id=message.id, value=message.data.value, read_at=message.at))
            if len(self._readings) >= self.batch:
                await self.flush_readings()
            return
        async with transaction(self.runtime.sessions) as session:
            device = await session.get(Device, known.id)
            await self._apply(session, device, topic.command_id, message)

    async def flush_readings(self) -> int:
        """Write the buffered readings in one transaction. A reading lost to a crash before its batch is written
        is covered by the next one (readings are cumulative)."""
        batch, self._readings = self._readings, []
        if not batch:
            return 0
        try:
            async with transaction(self.runtime.sessions) as session:
                return await devices.record_readings(session, readings=batch)
        except Exception:  # noqa: BLE001 - a failed batch is logged; the subscriber keeps running
            self.counters.dropped += len(batch)
            log.exception("writing %d readings failed; dropped", len(batch))
            return 0

    async def _flush_readings_every(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.flush_s)
            await self.flush_readings()

    async def _apply(self, session: AsyncSession, device: Device, command_id: str | None, message: BaseModel) -> None:
        if isinstance(message, AckPayload):
            if message.id != command_id:
                raise MalformedMessage(f"ack for {message.id} on the topic of {command_id}")
            command = await devices.command_by_id(session, command_id=message.id)
            if command is None or command.device_id != device.id:
                raise MalformedMessage(f"ack for unknown command {message.id}")
            if command.status == CommandStatus.SENT:  # a second ack (redelivery) changes nothing
                await devices.transition_command(session, command, "ack" if message.ok else "fail",
                                                 error=message.error)
        elif isinstance(message, StatusPayload):
            await devices.record_status(session, device=device, online=message.status == "online")
        elif isinstance(message, StatePayload):
            await devices.record_state(session, device=device, state=message.model_dump(mode="json"))
        elif isinstance(message, AccessEvent | AlarmEvent):
            await self._event(session, device, message)

    async def _event(self, session: AsyncSession, device: Device, event: AccessEvent | AlarmEvent) -> None:
        stored = await devices.record_device_event(session, device=device, event_id=event.id, kind=event.type,
                                                   payload=event.data.model_dump(mode="json"), occurred_at=event.at)
        if stored is None:
            return  # a redelivered event: handled the first time
        handler = self.handlers.get(event.type)
        if handler is not None:
            await handler(session, device, event)

    async def _known(self, community: str, code: str) -> KnownDevice:
        """What a topic's device is, read from the registry once per gateway run; unknown devices are malformed."""
        known = self._devices.get((community, code))
        if known is None:
            async with self.runtime.sessions() as session:
                device = await devices.find_device(session, community_code=community, device_code=code)
            if device is None or not device.active:
                raise MalformedMessage(f"unknown device {community}/{code}")
            known = KnownDevice(id=device.id, community_id=device.community_id, household_id=device.household_id,
                                subtype=device.subtype, adapter=device.adapter)
            self._devices[(community, code)] = known
        return known

