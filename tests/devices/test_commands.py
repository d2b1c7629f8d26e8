"""Commands as rows: the state table, expiry, and sending from a process without a broker connection."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from devices import commands
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import CommandStatus, Device
from workflows.statemachine import TransitionNotAllowed


async def _gate(session) -> Device:
    return await session.scalar(select(Device).where(Device.code == "gate-south-in"))


async def test_an_ack_cannot_finish_a_command_that_was_never_sent(runtime):
    async with transaction(runtime.sessions) as session:
        command = await devices.queue_command(session, device=await _gate(session), action="open",
                                              requested_by="staff:1")
        with pytest.raises(TransitionNotAllowed):
            await devices.transition_command(session, command, "ack")


async def test_overdue_commands_expire_and_are_never_sent(runtime):
    async with transaction(runtime.sessions) as session:
        command = await devices.queue_command(session, device=await _gate(session), action="open",
                                              requested_by="staff:1", ttl_s=5, now=utcnow() - timedelta(seconds=10))
        expired = await devices.expire_overdue(session)
        assert [c.command_id for c in expired] == [command.command_id]
        assert command.status == CommandStatus.EXPIRED
        assert await devices.commands_to_send(session) == []


async def test_without_a_connected_gateway_a_command_fails_at_once_and_says_why(runtime):
    async with runtime.sessions() as session:
        gate_id = (await _gate(session)).id
    outcome = await commands.send_command(runtime, device_id=gate_id, action="open", requested_by="staff:1",
                                          timeout_s=5)
    assert outcome.status == CommandStatus.FAILED and outcome.broker_down and not outcome.ok
    async with runtime.sessions() as session:
        row = await devices.command_by_id(session, command_id=outcome.command_id)
        assert row.error == commands.BROKER_DOWN  # recorded, not silently lost


async def test_a_stale_heartbeat_counts_as_no_gateway(runtime):
    async with transaction(runtime.sessions) as session:
        await devices.gateway_heartbeat(session, name="default", connected=True, broker="mqtt://x:1883",
                                        now=utcnow() - timedelta(minutes=5))
    async with runtime.sessions() as session:
        assert not devices.gateway_reachable(await devices.gateway_status(session))
