"""The one topic and payload schema every device speaks (documented in docs/devices.md).

    {root}/{community}/{device}/cmd/{id}  gateway → device  QoS 1, never retained  CommandPayload
    {root}/{community}/{device}/ack/{id}  device → gateway  QoS 1                  AckPayload
    {root}/{community}/{device}/state     device → gateway  QoS 1, retained        StatePayload
    {root}/{community}/{device}/status    device → gateway  QoS 1, retained        StatusPayload (last will: offline)
    {root}/{community}/{device}/event     device → gateway  QoS 1                  EventPayload (access|alarm|reading)

{community} is Community.code, {device} is Device.code, {id} the command id the device deduplicates.
Payloads are UTF-8 JSON. A vendor whose controller speaks something else gets an adapter (devices/adapters.py)
that maps its payloads onto these models; nothing past the adapter sees vendor formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

# Community and device codes: no '/', '+', '#', '.' (broker usernames are community.device); "_gateway" is reserved
# for the gateways' own status.
SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
TOPIC_KINDS = ("cmd", "ack", "state", "status", "event")


class MalformedMessage(ValueError):
    """A topic or payload that does not follow the schema: logged and dropped, never fatal."""


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CommandPayload(Payload):
    id: str = Field(min_length=8, max_length=64)
    action: str = Field(min_length=1, max_length=20)  # open | release | hold | ...
    params: dict[str, Any] = Field(default_factory=dict)
    issued_at: AwareDatetime
    expires_at: AwareDatetime  # a device must not act on a command after this moment


class AckPayload(Payload):
    id: str = Field(min_length=8, max_length=64)
    ok: bool
    error: str = Field(default="", max_length=200)  # why not: jammed | expired | unknown_action | ...
    at: AwareDatetime | None = None


class StatePayload(Payload):
    model_config = ConfigDict(extra="allow", frozen=True)  # device-specific fields: {"door": "closed", ...}
    at: AwareDatetime | None = None


class StatusPayload(Payload):
    status: Literal["online", "offline"]


class AccessData(Payload):
    """Someone presented a code at a gate: a scanned QR pass, a typed backup code, or a card."""

    method: Literal["qr", "code", "card"]
    code: str = Field(min_length=1, max_length=400)
    direction: Literal["in", "out"] | None = None


class AlarmData(Payload):
    alarm: Literal["smoke", "flood", "fire", "perimeter", "elevator"]
    level: Literal["warning", "alarm"] = "alarm"
    detail: str = Field(default="", max_length=200)


class ReadingData(Payload):
    value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]  # cumulative m³ or kWh
    unit: Literal["m3", "kWh"]


class AccessEvent(Payload):
    type: Literal["access"]
    id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    data: AccessData


class AlarmEvent(Payload):
    type: Literal["alarm", "alarm_clear"]
    id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    data: AlarmData


class ReadingEvent(Payload):
    type: Literal["reading"]
    id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    data: ReadingData


EventPayload = Annotated[AccessEvent | AlarmEvent | ReadingEvent, Field(discriminator="type")]
EVENT = TypeAdapter(EventPayload)


@dataclass(frozen=True)
class Topic:
    community: str
    device: str
    kind: str  # cmd | ack | state | status | event
    command_id: str | None = None


class Topics:
    """Builds and reads topics under one root ("linli"; tests use a root of their own per run)."""

    def __init__(self, root: str = "linli") -> None:
        if not root or "+" in root or "#" in root:
            raise ValueError(f"bad topic root {root!r}")
        self.root = root.rstrip("/")
        self._depth = self.root.count("/") + 1

    def device(self, community: str, device: str, kind: str, command_id: str | None = None) -> str:
        for segment in (community, device, *([command_id] if command_id else [])):
            if not SEGMENT.match(segment):
                raise ValueError(f"bad topic segment {segment!r}")
        tail = f"/{command_id}" if kind in ("cmd", "ack") else ""
        return f"{self.root}/{community}/{device}/{kind}{tail}"

    def cmd(self, community: str, device: str, command_id: str) -> str:
        return self.device(community, device, "cmd", command_id)

    def gateway_status(self, name: str) -> str:
        return f"{self.root}/_gateway/{name}/status"

    def subscriptions(self) -> list[str]:
        """What the gateway listens to (never …/cmd: those are its own)."""
        return [f"{self.root}/+/+/ack/+", f"{self.root}/+/+/state", f"{self.root}/+/+/status",
                f"{self.root}/+/+/event"]

    def parse(self, topic: str) -> Topic:
        parts = topic.split("/")
        if "/".join(parts[:self._depth]) != self.root:
            raise MalformedMessage(f"topic outside {self.root}: {topic}")
        rest = parts[self._depth:]
        if len(rest) < 3 or rest[2] not in TOPIC_KINDS:
            raise MalformedMessage(f"not a device topic: {topic}")
        community, device, kind = rest[:3]
        if not SEGMENT.match(community) or not SEGMENT.match(device):
            raise MalformedMessage(f"bad segment in {topic}")
        if kind in ("cmd", "ack"):
            if len(rest) != 4 or not SEGMENT.match(rest[3]):
                raise MalformedMessage(f"{kind} topic without an id: {topic}")
            return Topic(community, device, kind, rest[3])
        if len(rest) != 3:
            raise MalformedMessage(f"unexpected topic depth: {topic}")
        return Topic(community, device, kind)


def dump(model: BaseModel) -> bytes:
    return model.model_dump_json(exclude_none=True).encode()


def command_payload(*, command_id: str, action: str, params: dict[str, Any], issued_at: datetime,
                    expires_at: datetime) -> CommandPayload:
    return CommandPayload(id=command_id, action=action, params=params, issued_at=issued_at, expires_at=expires_at)
