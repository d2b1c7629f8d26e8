"""`linli devices simulate` itself, as an operator runs it: a process of its own on the real broker, reading the
registry from the database. A gate it simulates acknowledges an open sent through the gateway, a meter it simulates
reports a reading that is stored, and a typed `alarm` line makes a sensor alarm; without LINLI_MQTT_URL it refuses
to start and says why."""

from __future__ import annotations

import asyncio
import signal
import subprocess

from sqlalchemy import func, select

from devices import commands
from linli.devices import event_handlers
from tests.devices.conftest import eventually, start_gateway
from tests.services import LINLI, linli_env
from workflows.alarms.models import AlarmIncident
from workflows.devices.models import Device, MeterReading


def _simulate(settings, *, broker: str, topic_root: str) -> subprocess.Popen:
    env = {**linli_env(settings), "LINLI_MQTT_URL": broker, "LINLI_MQTT_TOPIC_ROOT": topic_root}
    return subprocess.Popen([str(LINLI), "devices", "simulate", "--community", "YGHY", "--meter-interval", "0.5"],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


async def _count(runtime, model, **where) -> int:
    async with runtime.sessions() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return await session.scalar(query)


async def test_the_simulate_command_acks_an_open_reports_meters_and_alarms(runtime, settings, broker, topic_root,
                                                                           running):
    gateway = await start_gateway(runtime, running, url=broker, root=topic_root, handlers=event_handlers(runtime))
    process = _simulate(settings, broker=broker, topic_root=topic_root)
    try:
        async with runtime.sessions() as session:
            gate_id = await session.scalar(select(Device.id).where(Device.code == "gate-south-in"))
        # the simulator's devices announce themselves online (retained status) once connected
        assert await eventually(lambda: _online(runtime, "gate-south-in"), timeout_s=30), _stop(process)
        outcome = await commands.send_command(runtime, device_id=gate_id, action="open", requested_by="staff:1",
                                              timeout_s=20, wake=gateway.wake)
        assert outcome.ok, (outcome, _stop(process))
        assert await eventually(lambda: _count(runtime, MeterReading), timeout_s=20), _stop(process)
        process.stdin.write("alarm smoke-b1\n")
        process.stdin.flush()
        assert await eventually(lambda: _count(runtime, AlarmIncident), timeout_s=20), _stop(process)
    finally:
        output = await asyncio.to_thread(_stop, process)
    assert "simulating 9 devices of YGHY" in output and "gate-south-in" in output


async def _online(runtime, code: str) -> bool:
    async with runtime.sessions() as session:
        return bool(await session.scalar(select(Device.online).where(Device.code == code)))


def test_without_a_broker_url_the_simulator_says_devices_are_off(settings):
    done = subprocess.run([str(LINLI), "devices", "simulate"], env={**linli_env(settings), "LINLI_MQTT_URL": ""},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "LINLI_MQTT_URL is not set" in done.stdout
