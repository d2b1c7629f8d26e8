"""Alarm events from sensors: the alarms service makes (or counts into) an incident with its urgent work order, and
the community's linkage rules send commands to doors in the same transaction (e.g. fire → release the building's
doors), each firing recorded. An alarm_clear event marks the incident cleared; a person still resolves it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from devices import commands
from devices.schema import AlarmEvent
from workflows.alarms import service as alarms
from workflows.devices.models import Device
from workflows.runtime import Runtime

log = logging.getLogger("linli.devices.alarms")
LINKAGE_TTL_S = 30.0


@dataclass
class AlarmLinkage:
    runtime: Runtime

    async def __call__(self, session: AsyncSession, device: Device, event: AlarmEvent) -> None:
        if event.type == "alarm_clear":
            await alarms.clear(session, device=device, at=event.at)
            return
        incident, new = await alarms.raise_alarm(session, device=device, alarm=event.data.alarm,
                                                 detail=event.data.detail, at=event.at,
                                                 ack_minutes=self.runtime.settings.alarm_ack_minutes)
        if not new:
            return
        log.warning("alarm %s from %s (%s)", incident.number, device.code, event.data.alarm)
        for rule, door in await alarms.doors_to_release(session, incident=incident, device=device):
            command = await commands.queue(session, device=door, action=rule.action, ttl_s=LINKAGE_TTL_S,
                                           requested_by=f"alarm:{incident.number}", reason=rule.description,
                                           params={"incident": incident.number})
            await alarms.record_firing(session, incident=incident, rule=rule, door=door,
                                       command_id=command.command_id)
