"""Opening the gate for an approved walk-in visitor and recording what happened: opened, or not — the broker is
down, the gate did not answer in time (the command expired, never retried), or it refused. The guard is told either
way (workflows.visitors.walkins.record_gate), so no open is silently lost."""

from __future__ import annotations

from typing import Any

from devices.commands import send_command, waited_too_long
from workflows.db import transaction
from workflows.runtime import Runtime
from workflows.visitors import walkins
from workflows.visitors.models import WalkIn


async def open_for_walk_in(runtime: Runtime, *, walk_in_id: int, wake: Any = None) -> str:
    """Open the walk-in's gate (if it named one); returns opened | broker_down | no_ack | refused:… | none."""
    async with runtime.sessions() as session:
        walk_in = await session.get(WalkIn, walk_in_id)
        gate_id, number = walk_in.gate_device_id, walk_in.number
    command_id = None
    result = "none"
    if gate_id is not None:
        outcome = await send_command(runtime, device_id=gate_id, action="open", requested_by=f"walk-in:{number}",
                                     reason="访客到访（已同意）", wake=wake)
        command_id = outcome.command_id
        if outcome.ok:
            result = "opened"
        elif outcome.broker_down:
            result = "broker_down"
        elif waited_too_long(outcome):
            result = "no_ack"
        else:
            result = f"refused:{outcome.error}"
    async with transaction(runtime.sessions) as session:
        walk_in = await session.get(WalkIn, walk_in_id)
        await walkins.record_gate(session, walk_in=walk_in, command_id=command_id, result=result)
    return result
