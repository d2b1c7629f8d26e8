"""Pass codes scanned or typed at a gate arrive as MQTT events: a valid pass opens the gate (through the broker, the
simulated gate acknowledges), a used, revoked or guessed one is refused and recorded, and failures are rate-limited
per gate."""

from datetime import timedelta

from sqlalchemy import select

from devices.access import PassCheckAtGate
from tests.devices.conftest import eventually, start_gateway, start_simulator
from workflows.clock import utcnow
from workflows.community.models import Building, Household
from workflows.db import transaction
from workflows.devices.models import CommandStatus, Device, DeviceCommand
from workflows.visitors import service
from workflows.visitors.models import EntryResult, VisitorEntry
from workflows.visitors.tokens import pass_key


async def _issue(runtime, max_uses=1):
    key = pass_key(secret_key=runtime.settings.secret_key)
    async with transaction(runtime.sessions) as session:
        home = await session.scalar(select(Household).join(Building).where(Building.name == "1栋",
                                                                          Household.room == "1单元101"))
        start = utcnow() - timedelta(minutes=1)
        return await service.issue_visitor_pass(session, key=key, community_id=home.community_id,
                                                household_id=home.id, openid="o-host", visitor_name="王芳",
                                                valid_from=start, valid_until=start + timedelta(hours=2),
                                                max_uses=max_uses)


async def _entries(runtime) -> list[VisitorEntry]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(VisitorEntry).order_by(VisitorEntry.id)))


async def _start(runtime, running, broker, topic_root):
    await start_gateway(runtime, running, url=broker, root=topic_root,
                        handlers={"access": PassCheckAtGate(runtime)})
    return await start_simulator(running, url=broker, root=topic_root)


async def test_a_scanned_pass_opens_the_gate_once_and_a_second_scan_is_refused(runtime, broker, topic_root,
                                                                                running):
    sim = await _start(runtime, running, broker, topic_root)
    issued = await _issue(runtime)
    await sim.present("gate-south-in", issued.token, method="qr")
    gate = sim.by_code["gate-south-in"]
    assert await eventually(lambda: _opened(gate, 1))
    await sim.present("gate-south-in", issued.backup_code, method="code")  # the same pass again
    assert await eventually(lambda: _count(runtime, 2))
    entries = await _entries(runtime)
    assert [(e.result, e.reason) for e in entries] == [(EntryResult.ADMITTED, ""), (EntryResult.REFUSED, "used")]
    assert len(gate.executed) == 1
    async with runtime.sessions() as session:
        command = await session.scalar(select(DeviceCommand).where(DeviceCommand.command_id == entries[0].command_id))
        assert command.status == CommandStatus.ACKED and command.action == "open"
        assert command.requested_by == f"pass:{issued.visitor_pass.id}"


async def _opened(gate, n):
    return len(gate.executed) >= n


async def _count(runtime, n):
    return len(await _entries(runtime)) >= n


async def test_guessing_codes_at_a_gate_is_rate_limited(runtime, broker, topic_root, running):
    sim = await _start(runtime, running, broker, topic_root)
    issued = await _issue(runtime, max_uses=None)
    for guess in range(5):
        await sim.present("gate-south-in", f"{10000000 + guess}", method="code")
    assert await eventually(lambda: _count(runtime, 5))
    await sim.present("gate-south-in", issued.backup_code, method="code")  # right code, but too late this minute
    assert await eventually(lambda: _count(runtime, 6))
    entries = await _entries(runtime)
    assert [e.reason for e in entries] == ["unknown"] * 5 + ["rate_limited"]
    assert sim.by_code["gate-south-in"].executed == []
    await sim.present("door-b1", issued.backup_code, method="code")  # another gate is not locked out
    assert await eventually(lambda: _opened(sim.by_code["door-b1"], 1))


async def test_a_pass_presented_at_a_sensor_is_ignored(runtime, broker, topic_root, running):
    handler = PassCheckAtGate(runtime)
    async with transaction(runtime.sessions) as session:
        sensor = await session.scalar(select(Device).where(Device.code == "smoke-b1"))
        from devices.schema import AccessData, AccessEvent

        await handler(session, sensor, AccessEvent(type="access", id="x1", at=utcnow(),
                                                   data=AccessData(method="code", code="12345678")))
    assert await _entries(runtime) == []
