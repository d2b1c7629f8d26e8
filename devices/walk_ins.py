"""Registering a walk-in visitor at the gate (the back office's 访客 page and the guard's WeChat both call
`register_at_gate`), and opening the gate for an approved one and recording what happened: opened, or not — the
broker is down, the gate did not answer in time (the command expired, never retried), or it refused. The guard is
told either way (workflows.visitors.walkins.record_gate), so no open is silently lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devices.commands import send_command, waited_too_long
from workflows.db import transaction
from workflows.runtime import Runtime
from workflows.staff.models import StaffUser
from workflows.visitors import walkins
from workflows.visitors.models import WalkIn, WalkInStatus
from workflows.visitors.policy import visitor_policy


@dataclass(frozen=True)
class Registered:
    """What the guard is told at once: asked the owner (pending), admitted (the gate's result), or call the owner."""

    number: str
    status: WalkInStatus
    gate_result: str = ""  # after an admission without approval: opened | broker_down | no_ack | refused:… | none
    minutes: int = 0  # how long the owner has to answer


async def register_at_gate(runtime: Runtime, *, guard_id: int, community_id: int, household_id: int,
                           visitor_name: str, plate: str = "", people: int = 1, gate_device_id: int | None = None,
                           wake: Any = None) -> Registered:
    """门岗登记 in one transaction (workflows.visitors.walkins.register_walk_in: the owner is asked, or the
    community needs no approval); then, when admitted at once, the gate is opened. Forbidden for roles that may
    not register visitors, LookupError for a household outside the community."""
    async with transaction(runtime.sessions) as session:
        guard = await session.get(StaffUser, guard_id)
        walk_in = await walkins.register_walk_in(session, community_id=community_id, household_id=household_id,
                                                 guard=guard, visitor_name=visitor_name, plate=plate,
                                                 people=people, gate_device_id=gate_device_id)
        policy = await visitor_policy(session, community_id=community_id)
        registered = Registered(number=walk_in.number, status=walk_in.status,
                                minutes=policy.approval_timeout_minutes)
        walk_in_id = walk_in.id
    if registered.status == WalkInStatus.APPROVED:  # no approval needed here: open now
        result = await open_for_walk_in(runtime, walk_in_id=walk_in_id, wake=wake)
        return Registered(number=registered.number, status=registered.status, gate_result=result)
    return registered


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
