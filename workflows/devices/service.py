"""The only code that changes device rows: the registry, commands and their transitions, statuses, events, meter
readings and the gateway heartbeat. Plain functions over a session; MQTT never appears here (see devices/)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.audit.service import record_event
from workflows.clock import as_utc, utcnow
from workflows.community.models import Community
from workflows.devices.models import (
    SUBTYPES,
    CommandStatus,
    Device,
    DeviceCommand,
    DeviceEvent,
    DeviceKind,
    Direction,
    GatewayStatus,
    MeterReading,
)
from workflows.devices.states import TRANSITIONS
from workflows.statemachine import next_state

GATEWAY_ACTOR = "system"
HEARTBEAT_FRESH = timedelta(seconds=15)  # a gateway silent for longer is taken as down
UNITS = {"water": "m3", "electricity": "kWh", "gas": "m3"}


class UnknownSubtype(ValueError):
    """The subtype is not one of SUBTYPES for the kind."""


async def register_device(session: AsyncSession, *, community_id: int, code: str, kind: DeviceKind, subtype: str,
                          name: str, location: str = "", building_id: int | None = None,
                          household_id: int | None = None, direction: Direction | None = None,
                          snapshot_url: str = "", stream_url: str = "", adapter: str = "linli") -> Device:
    """Add a device to the community's registry, or update the one with that code (idempotent)."""
    if subtype not in SUBTYPES[kind]:
        raise UnknownSubtype(f"{kind.value} has no subtype {subtype!r}")
    device = await session.scalar(select(Device).where(Device.community_id == community_id, Device.code == code))
    if device is None:
        device = Device(community_id=community_id, code=code, kind=kind, subtype=subtype, name=name)
        session.add(device)
    device.kind, device.subtype, device.name, device.location = kind, subtype, name, location
    device.building_id, device.household_id, device.direction = building_id, household_id, direction
    device.snapshot_url, device.stream_url, device.adapter = snapshot_url, stream_url, adapter
    await session.flush()
    return device


async def devices_of(session: AsyncSession, *, community_ids: set[int] | list[int],
                     kind: DeviceKind | None = None) -> list[Device]:
    query = select(Device).where(Device.community_id.in_(list(community_ids)), Device.active.is_(True))
    if kind is not None:
        query = query.where(Device.kind == kind)
    return list(await session.scalars(query.order_by(Device.community_id, Device.kind, Device.code)))


async def find_device(session: AsyncSession, *, community_code: str, device_code: str) -> Device | None:
    """The device a topic names: linli/{community_code}/{device_code}/…"""
    return await session.scalar(select(Device).join(Community, Community.id == Device.community_id)
                                .where(Community.code == community_code, Device.code == device_code))


# --- commands ------------------------------------------------------------------------------------------------------
def new_command_id() -> str:
    return secrets.token_hex(16)


async def queue_command(session: AsyncSession, *, device: Device, action: str, requested_by: str | Actor,
                        params: dict[str, Any] | None = None, reason: str = "", ttl_s: float = 20.0,
                        now: datetime | None = None) -> DeviceCommand:
    """Write a command for the gateway to publish; it expires after ttl_s whatever happens (an open gate must not
    swing open minutes after someone gave up waiting)."""
    now = now or utcnow()
    command = DeviceCommand(command_id=new_command_id(), community_id=device.community_id, device_id=device.id,
                            action=action, params=dict(params or {}),
                            requested_by=requested_by.audit_name if isinstance(requested_by, Actor) else requested_by,
                            reason=reason[:200], created_at=now, expires_at=now + timedelta(seconds=ttl_s))
    session.add(command)
    await session.flush()
    record_event(session, entity_type="device_command", entity_id=command.id, action="queue",
                 actor=requested_by if isinstance(requested_by, Actor) else Actor.system(requested_by),
                 community_id=device.community_id, to_state=CommandStatus.QUEUED,
                 data={"command_id": command.command_id, "device": device.code, "action": action})
    return command


async def transition_command(session: AsyncSession, command: DeviceCommand, action: str, *, error: str = "",
                             now: datetime | None = None) -> CommandStatus:
    """Apply the command table (the one place DeviceCommand.status changes) and write the audit row."""
    now = now or utcnow()
    old = command.status
    new = next_state(TRANSITIONS, old, action, GATEWAY_ACTOR)
    command.status = new
    if action == "send":
        command.sent_at = now
    else:
        command.finished_at = now
    if error:
        command.error = error[:200]
    record_event(session, entity_type="device_command", entity_id=command.id, action=action, actor=GATEWAY_ACTOR,
                 community_id=command.community_id, from_state=old, to_state=new, reason=error[:200],
                 data={"command_id": command.command_id})
    return new


async def command_by_id(session: AsyncSession, *, command_id: str) -> DeviceCommand | None:
    return await session.scalar(select(DeviceCommand).where(DeviceCommand.command_id == command_id))


async def commands_to_send(session: AsyncSession, *, limit: int = 50) -> list[DeviceCommand]:
    """Queued commands in the order they were asked for (expired ones are left to expire_overdue)."""
    query = (select(DeviceCommand).where(DeviceCommand.status == CommandStatus.QUEUED)
             .order_by(DeviceCommand.id).limit(limit))
    return list(await session.scalars(query))


async def expire_overdue(session: AsyncSession, *, now: datetime | None = None) -> list[DeviceCommand]:
    """Queued or sent commands past their expiry become expired (never re-sent)."""
    now = now or utcnow()
    rows = list(await session.scalars(select(DeviceCommand).where(
        DeviceCommand.status.in_((CommandStatus.QUEUED, CommandStatus.SENT)), DeviceCommand.expires_at <= now)))
    for command in rows:
        await transition_command(session, command, "expire", error="no acknowledgement before expiry", now=now)
    return rows


def is_expired(command: DeviceCommand, now: datetime | None = None) -> bool:
    return as_utc(command.expires_at) <= (now or utcnow())


# --- what devices report -----------------------------------------------------------------------------------------
async def record_status(session: AsyncSession, *, device: Device, online: bool, at: datetime | None = None) -> None:
    """…/status: online, or offline (the device's last will, or a clean goodbye)."""
    if device.online != online:
        record_event(session, entity_type="device", entity_id=device.id, action="online" if online else "offline",
                     actor=GATEWAY_ACTOR, community_id=device.community_id, data={"device": device.code})
    device.online = online
    device.last_seen_at = at or utcnow()


async def record_state(session: AsyncSession, *, device: Device, state: dict[str, Any],
                       at: datetime | None = None) -> None:
    device.state = dict(state)
    device.last_seen_at = at or utcnow()


async def record_device_event(session: AsyncSession, *, device: Device, event_id: str, kind: str,
                              payload: dict[str, Any], occurred_at: datetime) -> DeviceEvent | None:
    """Store an event once; a redelivered event (same device, same event id) returns None."""
    exists = await session.scalar(select(DeviceEvent.id).where(DeviceEvent.device_id == device.id,
                                                               DeviceEvent.event_id == event_id))
    if exists is not None:
        return None
    event = DeviceEvent(community_id=device.community_id, device_id=device.id, event_id=event_id[:64], kind=kind,
                        payload=payload, occurred_at=occurred_at)
    try:
        async with session.begin_nested():
            session.add(event)
            await session.flush()
    except IntegrityError:
        return None
    device.last_seen_at = utcnow()
    return event


@dataclass(frozen=True)
class Reading:
    """A meter reading as billing sees it."""

    device_id: int
    device_code: str
    household_id: int | None
    meter_type: str  # water | electricity | gas
    value: Decimal  # cumulative, in `unit`
    unit: str
    read_at: datetime


async def record_reading(session: AsyncSession, *, device: Device, value: Decimal, read_at: datetime) -> bool:
    """Store a cumulative reading; the same meter and moment twice is stored once (False the second time)."""
    exists = await session.scalar(select(MeterReading.id).where(MeterReading.device_id == device.id,
                                                                MeterReading.read_at == read_at))
    if exists is not None:
        return False
    session.add(MeterReading(community_id=device.community_id, device_id=device.id,
                             household_id=device.household_id, meter_type=device.subtype, value=value,
                             unit=UNITS.get(device.subtype, ""), read_at=read_at))
    return True


@dataclass(frozen=True)
class IncomingReading:
    """One reading event as the gateway buffers it before a batch write."""

    device_id: int
    community_id: int
    household_id: int | None
    meter_type: str
    event_id: str
    value: Decimal
    read_at: datetime


async def record_readings(session: AsyncSession, *, readings: list[IncomingReading]) -> int:
    """Store a batch of reading events and readings in two statements; repeats (same device and event id, or same
    meter and moment) are skipped by the unique constraints. Returns how many readings were new."""
    if not readings:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    await session.execute(insert(DeviceEvent).values([
        {"community_id": r.community_id, "device_id": r.device_id, "event_id": r.event_id[:64], "kind": "reading",
         "payload": {"value": str(r.value), "unit": UNITS.get(r.meter_type, "")}, "occurred_at": r.read_at,
         "received_at": now} for r in readings]).on_conflict_do_nothing(index_elements=["device_id", "event_id"]))
    result = await session.execute(insert(MeterReading).values([
        {"community_id": r.community_id, "device_id": r.device_id, "household_id": r.household_id,
         "meter_type": r.meter_type, "value": r.value, "unit": UNITS.get(r.meter_type, ""), "read_at": r.read_at,
         "received_at": now} for r in readings]).on_conflict_do_nothing(index_elements=["device_id", "read_at"]))
    return max(result.rowcount or 0, 0)


async def meter_readings(session: AsyncSession, *, community_id: int, since: datetime, until: datetime,
                         household_id: int | None = None, meter_type: str | None = None) -> list[Reading]:
    """Readings taken in [since, until), oldest first: what billing's metered fees (水费、电费、燃气费) are based on.
    Values are cumulative; usage over a period is the last reading minus the one before the period."""
    query = (select(MeterReading, Device.code).join(Device, Device.id == MeterReading.device_id)
             .where(MeterReading.community_id == community_id, MeterReading.read_at >= since,
                    MeterReading.read_at < until))
    if household_id is not None:
        query = query.where(MeterReading.household_id == household_id)
    if meter_type is not None:
        query = query.where(MeterReading.meter_type == meter_type)
    rows = await session.execute(query.order_by(MeterReading.read_at, MeterReading.id))
    return [Reading(device_id=r.device_id, device_code=code, household_id=r.household_id, meter_type=r.meter_type,
                    value=Decimal(r.value), unit=r.unit, read_at=as_utc(r.read_at)) for r, code in rows]


# --- the gateway's heartbeat ---------------------------------------------------------------------------------------
async def gateway_heartbeat(session: AsyncSession, *, name: str, connected: bool, broker: str,
                            error: str = "", now: datetime | None = None) -> None:
    row = await session.get(GatewayStatus, name)
    if row is None:
        row = GatewayStatus(name=name)
        session.add(row)
    row.connected, row.broker, row.last_error = connected, broker[:200], error[:300]
    row.heartbeat_at = now or utcnow()


async def gateway_status(session: AsyncSession, *, now: datetime | None = None) -> GatewayStatus | None:
    """The freshest gateway row, or None when no gateway ever ran."""
    return await session.scalar(select(GatewayStatus).order_by(GatewayStatus.heartbeat_at.desc()).limit(1))


def gateway_reachable(row: GatewayStatus | None, now: datetime | None = None) -> bool:
    """A gateway that beat recently and is connected to the broker can deliver a command now."""
    if row is None or not row.connected:
        return False
    return (now or utcnow()) - as_utc(row.heartbeat_at) < HEARTBEAT_FRESH
