"""The device registry (设备台账) and what devices report: gates and doors (门禁、道闸), cameras, meters (水、电、燃气
表), alarm sensors (烟感、水浸、消防、周界、电梯困人); commands sent to them, their events and meter readings.

These are system-of-record rows, so they live in workflows; the MQTT side (topics, payloads, the gateway, vendor
adapters) lives in the `devices` package, which imports this one and never the reverse.
Only workflows/devices/service.py changes these rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class DeviceKind(enum.StrEnum):
    GATE = "gate"  # 门禁 (door) or 道闸 (car barrier): subtype door | barrier
    CAMERA = "camera"  # 摄像头
    METER = "meter"  # 表: subtype water | electricity | gas
    ALARM = "alarm"  # 报警传感器: subtype smoke | flood | fire | perimeter | elevator


SUBTYPES: dict[DeviceKind, dict[str, str]] = {
    DeviceKind.GATE: {"door": "门禁", "barrier": "道闸"},
    DeviceKind.CAMERA: {"camera": "摄像头"},
    DeviceKind.METER: {"water": "水表", "electricity": "电表", "gas": "燃气表"},
    DeviceKind.ALARM: {"smoke": "烟感", "flood": "水浸", "fire": "消防", "perimeter": "周界", "elevator": "电梯困人"},
}


class Direction(enum.StrEnum):
    IN = "in"  # 进
    OUT = "out"  # 出
    BOTH = "both"  # 进出


class Device(Timestamped, Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # the topic segment: linli/{community}/{code}/...
    kind: Mapped[DeviceKind] = mapped_column(str_enum(DeviceKind, 12), index=True)
    subtype: Mapped[str] = mapped_column(String(16))  # see SUBTYPES
    name: Mapped[str] = mapped_column(String(60))  # 南门人行闸机
    location: Mapped[str] = mapped_column(String(100), default="")  # 南门 / 3栋1单元门
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), default=None, index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None)  # a home's meter
    direction: Mapped[Direction | None] = mapped_column(str_enum(Direction, 8), default=None)  # gates only
    snapshot_url: Mapped[str] = mapped_column(String(300), default="")  # cameras
    stream_url: Mapped[str] = mapped_column(String(300), default="")
    adapter: Mapped[str] = mapped_column(String(24), default="linli")  # the vendor mapping (devices/adapters.py)
    active: Mapped[bool] = mapped_column(default=True)
    online: Mapped[bool] = mapped_column(default=False)  # from …/status (the device's last will says offline)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the last retained …/state

    @property
    def subtype_label(self) -> str:
        return SUBTYPES.get(self.kind, {}).get(self.subtype, self.subtype)


class CommandStatus(enum.StrEnum):
    QUEUED = "queued"  # written by whoever asked; the gateway has not published it yet
    SENT = "sent"  # published to …/cmd/{id}
    ACKED = "acked"  # the device said done
    FAILED = "failed"  # the device refused, or it could not be sent
    EXPIRED = "expired"  # not acknowledged before expires_at; never retried automatically


FINISHED_COMMANDS = (CommandStatus.ACKED, CommandStatus.FAILED, CommandStatus.EXPIRED)


class DeviceCommand(Base):
    """One command to one device. `command_id` is the id the device deduplicates: a redelivered …/cmd/{id} with an
    id it has seen is acknowledged again, not executed again."""

    __tablename__ = "device_commands"
    __table_args__ = (Index("ix_device_commands_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    command_id: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # open | release | hold | ...
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[CommandStatus] = mapped_column(str_enum(CommandStatus, 12), default=CommandStatus.QUEUED)
    requested_by: Mapped[str] = mapped_column(String(80))  # "staff:3", "owner:<openid>", "pass:12", "system"
    reason: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class DeviceEvent(Base):
    """Something a device reported on …/event: an access record, an alarm, a reading (readings also go to
    meter_readings). A device's own event id makes a redelivered event count once."""

    __tablename__ = "device_events"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), index=True)  # access | alarm | alarm_clear | reading
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MeterReading(Base):
    """A meter's cumulative reading (抄表) at a moment; billing's metered fees read these through
    workflows.devices.service.meter_readings."""

    __tablename__ = "device_meter_readings"
    __table_args__ = (UniqueConstraint("device_id", "read_at"),
                      Index("ix_device_meter_readings_community_read", "community_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), default=None, index=True)
    meter_type: Mapped[str] = mapped_column(String(12))  # water | electricity | gas
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3))  # cumulative: m³ or kWh
    unit: Mapped[str] = mapped_column(String(8))  # m3 | kWh
    read_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class GatewayStatus(Base):
    """The device gateway's heartbeat: web processes read it to know whether a command can reach the broker."""

    __tablename__ = "device_gateways"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    connected: Mapped[bool] = mapped_column(default=False)
    broker: Mapped[str] = mapped_column(String(200), default="")
    last_error: Mapped[str] = mapped_column(String(300), default="")
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
