"""Alarm incidents (报警事件) and linkage rules (联动规则).

One incident per sensor while it is open: a flood of alarms from one sensor raises its count, not new incidents.
An incident opens an urgent work order through the repairs service and must be acknowledged by a person; linkage
rules (e.g. a fire alarm releases the building's doors) are per community and every firing is recorded.
Only workflows/alarms/service.py changes these rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class IncidentStatus(enum.StrEnum):
    OPEN = "open"  # 未确认
    ACKNOWLEDGED = "acknowledged"  # 已确认 (a person is on it)
    RESOLVED = "resolved"  # 已处理


STATUS_LABELS = {IncidentStatus.OPEN: "未确认", IncidentStatus.ACKNOWLEDGED: "已确认",
                 IncidentStatus.RESOLVED: "已处理"}
ALARM_LABELS = {"smoke": "烟感报警", "flood": "水浸报警", "fire": "消防报警", "perimeter": "周界报警",
                "elevator": "电梯困人"}


class AlarmIncident(Timestamped, Base):
    __tablename__ = "alarm_incidents"
    __table_args__ = (Index("ix_alarm_incidents_device_status", "device_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # BJ-20261207-0001
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    alarm: Mapped[str] = mapped_column(String(12))  # smoke | flood | fire | perimeter | elevator
    detail: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[IncidentStatus] = mapped_column(str_enum(IncidentStatus, 16), default=IncidentStatus.OPEN,
                                                   index=True)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    event_count: Mapped[int] = mapped_column(default=1)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)  # the sensor said alarm_clear
    repair_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("repair_tickets.id"), default=None)
    notified_staff_ids: Mapped[list[Any]] = mapped_column(default=list)  # everyone told so far, in order
    escalation_level: Mapped[int] = mapped_column(default=0)  # how far down the on-duty chain it went
    next_escalation_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def alarm_label(self) -> str:
        return ALARM_LABELS.get(self.alarm, self.alarm)


class LinkageRule(Base):
    """When a sensor of `alarm` kind alarms, send `action` to the community's doors of `scope` (the sensor's
    building, or every door): e.g. fire → release the building's doors (消防联动开门)."""

    __tablename__ = "alarm_linkage_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    alarm: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(20), default="release")  # the command sent to each door
    scope: Mapped[str] = mapped_column(String(12), default="building")  # building | community
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(String(100), default="")


class LinkageFiring(Base):
    """A rule fired for an incident: which door got which command."""

    __tablename__ = "alarm_linkage_firings"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alarm_incidents.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alarm_linkage_rules.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    command_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
