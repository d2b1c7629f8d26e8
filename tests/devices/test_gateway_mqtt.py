"""The gateway and the simulator on the real Mosquitto: commands round trip, refusals, expiry, statuses, readings,
and malformed messages that are dropped while the subscriber keeps running."""

import asyncio
import contextlib
import json
import socket
from datetime import timedelta

import aiomqtt
from sqlalchemy import func, select

from devices import commands
from devices.schema import Topics
from tests.devices.conftest import eventually, start_gateway, start_simulator
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import CommandStatus, Device, DeviceEvent, MeterReading


async def _device(runtime, code: str) -> Device:
    async with runtime.sessions() as session:
        return await session.scalar(select(Device).where(Device.code == code))


async def test_an_open_command_is_acknowledged_by_the_gate_once(runtime, broker, topic_root, running):
    gateway = await start_gateway(runtime, running, url=broker, root=topic_root)
    sim = await start_simulator(running, url=broker, root=topic_root)
    gate = await _device(runtime, "gate-south-in")
    outcome = await commands.send_command(runtime, device_id=gate.id, action="open", requested_by="staff:1",
                                          timeout_s=20, wake=gateway.wake)
    assert outcome.ok, outcome
    assert sim.by_code["gate-south-in"].executed == [outcome.command_id]


async def test_a_jammed_gate_refuses_and_the_caller_is_told(runtime, broker, topic_root, running):
    await start_gateway(runtime, running, url=broker, root=topic_root)
    sim = await start_simulator(running, url=broker, root=topic_root)
    sim.by_code["barrier-south"].refuse_with = "jammed"
    barrier = await _device(runtime, "barrier-south")
    outcome = await commands.send_command(runtime, device_id=barrier.id, action="open", requested_by="staff:1",
                                          timeout_s=20)
    assert outcome.status == CommandStatus.FAILED and outcome.error == "jammed"


async def test_no_ack_in_time_expires_the_open_and_it_is_never_sent_again(runtime, broker, topic_root, running):
    gateway = await start_gateway(runtime, running, url=broker, root=topic_root)  # no simulator: nobody answers
    gate = await _device(runtime, "door-b1")
    outcome = await commands.send_command(runtime, device_id=gate.id, action="open", requested_by="owner:o1",
                                          timeout_s=0.5)
    assert commands.waited_too_long(outcome) and not outcome.ok
    await eventually(lambda: _status(runtime, outcome.command_id, CommandStatus.EXPIRED))
    published = gateway.counters.published
    sim = await start_simulator(running, url=broker, root=topic_root)  # the door comes online later
    await asyncio.sleep(0.5)
    assert gateway.counters.published == published
    assert sim.by_code["door-b1"].executed == []


async def _status(runtime, command_id, wanted):
    async with runtime.sessions() as session:
        row = await devices.command_by_id(session, command_id=command_id)
        return row.status == wanted


async def test_a_redelivered_command_is_acknowledged_without_acting_twice(runtime, broker, topic_root, running):
    sim = await start_simulator(running, url=broker, root=topic_root)
    topics = Topics(topic_root)
    now = utcnow()
    payload = json.dumps({"id": "cmd0000000000001", "action": "open", "params": {}, "issued_at": now.isoformat(),
                          "expires_at": (now + timedelta(seconds=30)).isoformat()}).encode()
    async with aiomqtt.Client("127.0.0.1", 1883) as client:
        await client.subscribe(f"{topic_root}/YGHY/gate-south-in/ack/+", qos=1)
        for _ in range(2):
            await client.publish(topics.cmd("YGHY", "gate-south-in", "cmd0000000000001"), payload, qos=1)
        acks = []
        async with asyncio.timeout(5):
            async for message in client.messages:
                acks.append(json.loads(message.payload))
                if len(acks) == 2:
                    break
    assert [a["ok"] for a in acks] == [True, True]
    assert sim.by_code["gate-south-in"].executed == ["cmd0000000000001"]


async def test_devices_report_online_and_offline_and_a_crash_is_told_by_the_last_will(runtime, broker, topic_root,
                                                                                       running):
    await start_gateway(runtime, running, url=broker, root=topic_root)
    topics = Topics(topic_root)
    status = topics.device("YGHY", "smoke-b1", "status")

    async def online():
        return (await _device(runtime, "smoke-b1")).online

    async def offline():
        return not await online()

    will = aiomqtt.Will(status, b'{"status":"offline"}', qos=1, retain=True)
    async with aiomqtt.Client("127.0.0.1", 1883, will=will) as sensor:
        await sensor.publish(status, b'{"status":"online"}', qos=1, retain=True)
        assert await eventually(online)
        sensor._client.socket().shutdown(socket.SHUT_RDWR)  # the sensor loses power: no goodbye
        assert await eventually(offline)
        with contextlib.suppress(aiomqtt.MqttError):
            await sensor.publish(status, b'{"status":"online"}', qos=1)


async def test_meter_readings_are_stored_once_with_their_time(runtime, broker, topic_root, running):
    await start_gateway(runtime, running, url=broker, root=topic_root)
    sim = await start_simulator(running, url=broker, root=topic_root)
    at = utcnow().replace(microsecond=0)
    for i in range(3):
        await sim.report_reading("meter-b1-101-water", at=at + timedelta(minutes=i))
    meter = await _device(runtime, "meter-b1-101-water")

    async def stored():
        async with runtime.sessions() as session:
            return await session.scalar(select(func.count()).select_from(MeterReading)
                                        .where(MeterReading.device_id == meter.id)) == 3

    assert await eventually(stored)
    async with runtime.sessions() as session:
        readings = await devices.meter_readings(session, community_id=meter.community_id, since=at,
                                                until=at + timedelta(hours=1), household_id=meter.household_id)
    assert [r.read_at for r in readings] == [at + timedelta(minutes=i) for i in range(3)]
    assert readings[0].value < readings[1].value < readings[2].value  # cumulative values, oldest first
    assert readings[-1].value == sim.by_code["meter-b1-101-water"].reading
    assert readings[0].unit == "m3" and readings[0].meter_type == "water"


async def test_malformed_messages_are_dropped_and_the_subscriber_keeps_running(runtime, broker, topic_root,
                                                                                running):
    gateway = await start_gateway(runtime, running, url=broker, root=topic_root)
    base = f"{topic_root}/YGHY"
    garbage = [(f"{base}/meter-b1-101-water/event", b"{not json"),
               (f"{base}/meter-b1-101-water/event", b'{"type":"reading","id":"x","at":"yesterday","data":{}}'),
               (f"{base}/meter-b1-101-water/status", b'"maybe"'),
               (f"{base}/no-such-device/event", b'{"type":"alarm","id":"x","at":"2026-12-07T00:00:00Z",'
                                                b'"data":{"alarm":"smoke"}}'),
               (f"{base}/gate-south-in/ack/nosuchcommand01", b'{"id":"nosuchcommand01","ok":true}'),
               (f"{base}/meter-b1-101-water/event", b"\x00\x01\x02")]
    good = json.dumps({"type": "reading", "id": "good-1", "at": utcnow().isoformat(),
                       "data": {"value": "7.250", "unit": "m3"}}).encode()
    async with aiomqtt.Client("127.0.0.1", 1883) as client:
        for topic, payload in garbage:
            await client.publish(topic, payload, qos=1)
        await client.publish(f"{base}/meter-b1-101-water/event", good, qos=1)

    async def good_stored():
        async with runtime.sessions() as session:
            return await session.scalar(select(DeviceEvent).where(DeviceEvent.event_id == "good-1"))

    assert await eventually(good_stored)
    assert gateway.counters.dropped == len(garbage)
    assert not running.tasks[0].done()


async def test_a_broker_that_is_down_marks_the_gateway_disconnected(runtime, topic_root, running):
    await start_gateway(runtime, running, url="mqtt://127.0.0.1:1", root=topic_root, wait=False)

    async def down():
        async with runtime.sessions() as session:
            row = await devices.gateway_status(session)
            return row is not None and not row.connected

    assert await eventually(down)
    gate = await _device(runtime, "gate-south-in")
    outcome = await commands.send_command(runtime, device_id=gate.id, action="open", requested_by="owner:o1")
    assert outcome.broker_down
    async with transaction(runtime.sessions) as session:
        assert (await devices.command_by_id(session, command_id=outcome.command_id)).status == CommandStatus.FAILED
