"""The adapter boundary with a vendor's own protocol: the example XM-200 adapter maps the made-up controller's JSON
(epoch times, numeric sensor and result codes, scaled integer readings) onto the schema and writes our commands in
its words; its malformed payloads are MalformedMessage; and through the real broker a device registered with that
adapter alarms, goes online and acknowledges an open like any other."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiomqtt
import pytest
from sqlalchemy import select, update

from devices import commands
from devices.adapters import ExampleVendorAdapter, adapter_for
from devices.schema import (
    AccessEvent,
    AckPayload,
    AlarmEvent,
    MalformedMessage,
    ReadingEvent,
    StatusPayload,
    Topics,
    command_payload,
)
from linli.devices import event_handlers
from tests.devices.conftest import eventually, start_gateway
from workflows.alarms.models import AlarmIncident
from workflows.db import transaction
from workflows.devices.models import Device

XM = ExampleVendorAdapter()
TS = 1765000000  # 2025-12-06T05:46:40Z


def _decode(kind: str, data: object):
    return XM.decode(kind, json.dumps(data).encode())


def test_the_vendors_events_become_schema_events():
    scan = _decode("event", {"type": "pass", "seq": 7, "ts": TS, "qr": "LP1.x"})
    assert isinstance(scan, AccessEvent) and scan.id == "xm-7" and scan.data.method == "qr"
    assert scan.at == datetime.fromtimestamp(TS, UTC)
    assert _decode("event", {"type": "pass", "seq": 8, "ts": TS, "pwd": 12345678}).data.code == "12345678"
    smoke = _decode("event", {"type": "alarm", "seq": 9, "ts": TS, "sensor": 1, "on": 1, "desc": "1楼大堂"})
    assert isinstance(smoke, AlarmEvent) and (smoke.type, smoke.data.alarm, smoke.data.detail) == (
        "alarm", "smoke", "1楼大堂")
    assert _decode("event", {"type": "alarm", "seq": 10, "ts": TS, "sensor": 5, "on": 0}).type == "alarm_clear"
    reading = _decode("event", {"type": "meter", "seq": 11, "ts": TS, "raw": 1234567, "scale": 3, "unit": "m3"})
    assert isinstance(reading, ReadingEvent) and reading.data.value == Decimal("1234.567")


def test_the_vendors_acks_states_and_statuses_become_schema_payloads():
    assert _decode("ack", {"msg_id": "c0ffee0123", "result": 0}) == AckPayload(id="c0ffee0123", ok=True)
    assert _decode("ack", {"msg_id": "c0ffee0123", "result": 1}).error == "jammed"
    assert _decode("ack", {"msg_id": "c0ffee0123", "result": 7}).error == "vendor_7"
    assert _decode("status", {"online": 0}) == StatusPayload(status="offline")
    assert _decode("state", {"door": 1, "ts": TS}).model_dump()["door"] == "open"


@pytest.mark.parametrize(("kind", "payload"), [
    ("event", b"not json"),
    ("event", b"[1, 2]"),
    ("event", b'{"type": "alarm", "seq": 1, "ts": 1765000000, "sensor": 42, "on": 1}'),  # no such sensor
    ("event", b'{"type": "pass", "seq": 1, "ts": 1765000000}'),  # nothing presented
    ("event", b'{"type": "meter", "seq": 1, "ts": 1765000000, "raw": -5, "unit": "m3"}'),  # negative
    ("event", b'{"type": "dance", "seq": 1, "ts": 1765000000}'),
    ("ack", b'{"result": 0}'),
    ("status", b"{}"),
    ("cmd", b'{"msg_id": "x"}'),
])
def test_malformed_vendor_payloads_are_refused_as_malformed(kind, payload):
    with pytest.raises(MalformedMessage):
        XM.decode(kind, payload)


def test_our_commands_are_written_in_the_vendors_words():
    now = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
    command = command_payload(command_id="9f2c" * 8, action="open", params={}, issued_at=now,
                              expires_at=now + timedelta(seconds=8))
    sent = json.loads(XM.encode_command(command))
    assert sent == {"msg_id": "9f2c" * 8, "op": "OPEN", "args": {}, "ts": int(now.timestamp()),
                    "valid_until": int(now.timestamp()) + 8}
    release = command.model_copy(update={"action": "release"})
    assert json.loads(XM.encode_command(release))["op"] == "KEEP_OPEN"
    assert adapter_for(ExampleVendorAdapter.name) is not adapter_for("linli")


async def test_an_xm200_door_through_the_broker(runtime, broker, topic_root, running):
    async with transaction(runtime.sessions) as session:
        await session.execute(update(Device).where(Device.code.in_(["door-b1", "smoke-b1"]))
                              .values(adapter=ExampleVendorAdapter.name))
        door = await session.scalar(select(Device).where(Device.code == "door-b1"))
        door_id = door.id
    gateway = await start_gateway(runtime, running, url=broker, root=topic_root, handlers=event_handlers(runtime))
    topics = Topics(topic_root)
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"xm200-{topic_root}") as controller:
        await controller.subscribe(f"{topic_root}/YGHY/door-b1/cmd/+", qos=1)
        await controller.publish(topics.device("YGHY", "door-b1", "status"), b'{"online": 1}', qos=1)
        await controller.publish(topics.device("YGHY", "smoke-b1", "event"), json.dumps(
            {"type": "alarm", "seq": 1, "ts": int(datetime.now(UTC).timestamp()), "sensor": 1, "on": 1}).encode(),
            qos=1)

        async def answer_once() -> dict:
            async for message in controller.messages:
                sent = json.loads(message.payload)
                await controller.publish(topics.device("YGHY", "door-b1", "ack", sent["msg_id"]),
                                         json.dumps({"msg_id": sent["msg_id"], "result": 0}).encode(), qos=1)
                return sent
            return {}

        answering = asyncio.create_task(answer_once())
        outcome = await commands.send_command(runtime, device_id=door_id, action="open", requested_by="staff:1",
                                              timeout_s=20, wake=gateway.wake)
        sent = await asyncio.wait_for(answering, 10)
    assert outcome.ok, outcome
    assert sent["op"] == "OPEN" and sent["msg_id"] == outcome.command_id

    async def online_and_alarmed():
        async with runtime.sessions() as session:
            online = await session.scalar(select(Device.online).where(Device.id == door_id))
            incidents = list(await session.scalars(select(AlarmIncident)))
        return online and incidents

    assert await eventually(online_and_alarmed)
