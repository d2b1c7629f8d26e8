"""Sending a command from any process: a row in the database that the gateway publishes, then waiting for the
device's acknowledgement with a timeout. Web processes never open a broker connection of their own.

The result is always honest: acked, failed (refused, or the broker is unreachable), or not acknowledged in time.
A command carries an expiry (by default the caller's timeout), so a gate never opens after the caller gave up, and
an "open" is never retried automatically.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import FINISHED_COMMANDS, CommandStatus, Device, DeviceCommand
from workflows.runtime import Runtime

POLL_S = 0.02
BROKER_DOWN = "broker unavailable"


@dataclass(frozen=True)
class CommandOutcome:
    command_id: str
    status: CommandStatus
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == CommandStatus.ACKED

    @property
    def broker_down(self) -> bool:
        return self.status == CommandStatus.FAILED and self.error == BROKER_DOWN


async def queue(session: AsyncSession, *, device: Device, action: str, requested_by: str,
                params: dict[str, Any] | None = None, reason: str = "", ttl_s: float = 8.0) -> DeviceCommand:
    """Queue a command inside the caller's transaction. When no gateway is connected to the broker the command is
    recorded as failed at once (BROKER_DOWN), so nothing waits for a delivery that cannot happen."""
    command = await devices.queue_command(session, device=device, action=action, requested_by=requested_by,
                                          params=params, reason=reason, ttl_s=ttl_s)
    if not devices.gateway_reachable(await devices.gateway_status(session)):
        await devices.transition_command(session, command, "fail", error=BROKER_DOWN)
    return command


async def wait_for(runtime: Runtime, *, command_id: str, timeout_s: float) -> CommandOutcome:
    """Poll the command's row until it is finished or the timeout passes (it then expires on its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        async with runtime.sessions() as session:
            row = (await session.execute(select(DeviceCommand.status, DeviceCommand.error)
                                         .where(DeviceCommand.command_id == command_id))).one()
        if row.status in FINISHED_COMMANDS or loop.time() >= deadline:
            return CommandOutcome(command_id=command_id, status=row.status, error=row.error)
        await asyncio.sleep(POLL_S)


async def send_command(runtime: Runtime, *, device_id: int, action: str, requested_by: str | Actor,
                       params: dict[str, Any] | None = None, reason: str = "",
                       timeout_s: float | None = None, wake: Any = None) -> CommandOutcome:
    """Queue, then await the acknowledgement. `wake` (the in-process gateway's wake()) saves a poll interval."""
    timeout = timeout_s if timeout_s is not None else runtime.settings.device_command_timeout_s
    async with transaction(runtime.sessions) as session:
        device = await session.get(Device, device_id)
        if device is None or not device.active:
            raise LookupError(f"no active device {device_id}")
        command = await queue(session, device=device, action=action, requested_by=requested_by, params=params,
                              reason=reason, ttl_s=timeout)
        command_id, status, error = command.command_id, command.status, command.error
    if status in FINISHED_COMMANDS:
        return CommandOutcome(command_id=command_id, status=status, error=error)
    if wake is not None:
        wake()
    return await wait_for(runtime, command_id=command_id, timeout_s=timeout)


def waited_too_long(outcome: CommandOutcome) -> bool:
    """Not acknowledged within the caller's timeout (still queued/sent, or expired)."""
    return outcome.status in (CommandStatus.QUEUED, CommandStatus.SENT, CommandStatus.EXPIRED)


__all__ = ["BROKER_DOWN", "CommandOutcome", "queue", "send_command", "wait_for", "waited_too_long"]
