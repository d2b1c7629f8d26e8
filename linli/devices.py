"""Wiring devices into a process: the gateway inside the server (LINLI_MQTT_URL set and
LINLI_MQTT_GATEWAY_IN_PROCESS true) or alone (`linli devices gateway`), with the event handlers of every package."""

from __future__ import annotations

import asyncio
from typing import Any

from devices.gateway import DeviceGateway, EventHandler
from linli.loops import Loop
from workflows.runtime import Runtime


def event_handlers(runtime: Runtime) -> dict[str, EventHandler]:
    """What access codes and alarms do (visitor passes, alarm linkage); readings are stored by the gateway."""
    from devices.access import PassCheckAtGate
    from devices.alarms import AlarmLinkage

    linkage = AlarmLinkage(runtime)
    return {"access": PassCheckAtGate(runtime), "alarm": linkage, "alarm_clear": linkage}


def build_gateway(runtime: Runtime, *, name: str = "default") -> DeviceGateway | None:
    settings = runtime.settings
    if not settings.mqtt_url:
        return None
    return DeviceGateway(runtime=runtime, url=settings.mqtt_url, root=settings.mqtt_topic_root, name=name,
                         handlers=event_handlers(runtime))


async def escalate_alarms(runtime: Runtime) -> int:
    """One pass of the alarm timer: unacknowledged incidents go to the next person on duty."""
    from workflows.alarms.service import escalate_unacknowledged
    from workflows.db import transaction

    async with transaction(runtime.sessions) as session:
        return len(await escalate_unacknowledged(session, ack_minutes=runtime.settings.alarm_ack_minutes))


async def time_out_walk_ins(runtime: Runtime) -> int:
    """One pass of the walk-in timer: owners who did not answer in time → the guard is told to call."""
    from workflows.db import transaction
    from workflows.visitors.walkins import time_out_unanswered

    async with transaction(runtime.sessions) as session:
        return len(await time_out_unanswered(session))


def install_devices(app: Any, runtime: Runtime) -> list[Loop]:
    """The alarm timer (a worker loop), and the in-process gateway as a process loop of the server;
    app.state.device_gateway is None when devices are off or handled by a separate `linli devices gateway`."""
    app.state.device_gateway = None
    loops = [Loop("alarm-escalation", 30.0, lambda: escalate_alarms(runtime)),
             Loop("walk-in-timeouts", 15.0, lambda: time_out_walk_ins(runtime))]
    if not runtime.settings.mqtt_gateway_in_process:
        return loops
    gateway = build_gateway(runtime)
    if gateway is None:
        return loops
    app.state.device_gateway = gateway
    never = asyncio.Event()  # the loop runner cancels the task at shutdown
    return [*loops, Loop("device-gateway", 1.0, lambda: gateway.run(never), scope="process")]
