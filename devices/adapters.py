"""The adapter boundary: a vendor's controller payloads ↔ the Linli schema (devices/schema.py).

Device.adapter names the adapter for each device. The gateway hands every inbound payload to the device's adapter
and publishes every command through it, so the rest of Linli only sees schema models. `linli` is the identity
mapping for controllers (or bridges) that speak the schema directly; a vendor mapping is one more class here and
one entry in ADAPTERS (see docs/devices.md for what one has to provide). ExampleVendorAdapter maps a made-up
controller's JSON, as the example to copy when a real vendor's documentation arrives.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from devices.schema import (
    EVENT,
    AckPayload,
    CommandPayload,
    MalformedMessage,
    StatePayload,
    StatusPayload,
    dump,
)

MAX_PAYLOAD = 16 * 1024  # no device has a reason to send more; bigger payloads are dropped unread


class Adapter(Protocol):
    name: str

    def decode(self, kind: str, payload: bytes) -> BaseModel:
        """An inbound payload for topic kind ack|state|status|event as a schema model, or MalformedMessage."""

    def encode_command(self, command: CommandPayload) -> bytes:
        """The bytes published to …/cmd/{id}."""


def _json(payload: bytes) -> Any:
    if len(payload) > MAX_PAYLOAD:
        raise MalformedMessage(f"payload of {len(payload)} bytes")
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessage(f"not UTF-8 JSON: {exc}") from exc


class LinliAdapter:
    """Controllers that speak the schema as documented."""

    name = "linli"
    _models = {"ack": AckPayload, "state": StatePayload, "status": StatusPayload}

    def decode(self, kind: str, payload: bytes) -> BaseModel:
        data = _json(payload)
        try:
            if kind == "event":
                return EVENT.validate_python(data)
            model = self._models.get(kind)
            if model is None:
                raise MalformedMessage(f"devices do not publish {kind}")
            return model.model_validate(data)
        except ValidationError as exc:
            raise MalformedMessage(f"{kind} payload: {exc.error_count()} errors: {exc.errors()[0]['msg']}") from exc

    def encode_command(self, command: CommandPayload) -> bytes:
        return dump(command)


class ExampleVendorAdapter:
    """An example to copy: the made-up XM-200 controller (星门 XM-200), whose firmware publishes its own JSON on our
    topics. Every field it sends is mapped onto the schema here, and our commands are written in its words:

        status  {"online": 1}                                   → {"status": "online"}
        state   {"door": 1, "ts": 1765000000}                   → {"door": "open", "at": …}
        event   {"type": "pass", "seq": 7, "ts": …, "qr": "…"}  → access (qr; "pwd" → code, "card" → card)
                {"type": "alarm", "seq": 8, "ts": …, "sensor": 1, "on": 1, "desc": "…"}
                                                                → alarm (on: 0 → alarm_clear); sensor 1 烟感 2 水浸
                                                                  3 消防 4 周界 5 电梯困人
                {"type": "meter", "seq": 9, "ts": …, "raw": 1234567, "scale": 3, "unit": "m3"}
                                                                → reading 1234.567 m3
        ack     {"msg_id": "…", "result": 0}                    → ok; 1 jammed, 2 expired, n vendor_n
        cmd     ← {"msg_id": "…", "op": "OPEN", "args": {}, "ts": …, "valid_until": …}
                  (open → OPEN, release → KEEP_OPEN, hold → CLOSE, others upper-cased: the device refuses them)

    Its times are epoch seconds (UTC); its event ids are "xm-{seq}". Anything missing or of the wrong type is a
    MalformedMessage, dropped by the gateway like any other."""

    name = "example-xm200"
    SENSORS = {1: "smoke", 2: "flood", 3: "fire", 4: "perimeter", 5: "elevator"}
    RESULTS = {1: "jammed", 2: "expired"}
    OPS = {"open": "OPEN", "release": "KEEP_OPEN", "hold": "CLOSE"}

    def decode(self, kind: str, payload: bytes) -> BaseModel:
        data = _json(payload)
        if not isinstance(data, dict):
            raise MalformedMessage("XM-200 payloads are JSON objects")
        try:
            if kind == "status":
                return StatusPayload(status="online" if data["online"] else "offline")
            if kind == "state":
                return StatePayload(door="open" if data["door"] else "closed", at=self._time(data.get("ts")))
            if kind == "ack":
                result = int(data["result"])
                return AckPayload(id=data["msg_id"], ok=result == 0,
                                  error="" if result == 0 else self.RESULTS.get(result, f"vendor_{result}"))
            if kind == "event":
                return EVENT.validate_python(self._event(data))
        except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise MalformedMessage(f"XM-200 {kind}: {exc}") from exc
        raise MalformedMessage(f"devices do not publish {kind}")

    @staticmethod
    def _time(seconds: Any) -> datetime | None:
        return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)

    def _event(self, data: dict[str, Any]) -> dict[str, Any]:
        head = {"id": f"xm-{int(data['seq'])}", "at": self._time(data["ts"])}
        if data["type"] == "pass":
            found = next(((m, data[k]) for k, m in (("qr", "qr"), ("pwd", "code"), ("card", "card")) if k in data),
                         None)
            if found is None:
                raise ValueError("a pass record without qr, pwd or card")
            method, code = found
            return {**head, "type": "access", "data": {"method": method, "code": str(code)}}
        if data["type"] == "alarm":
            return {**head, "type": "alarm" if data["on"] else "alarm_clear",
                    "data": {"alarm": self.SENSORS[int(data["sensor"])], "detail": str(data.get("desc", ""))}}
        if data["type"] == "meter":
            value = Decimal(int(data["raw"])).scaleb(-int(data.get("scale", 0)))
            return {**head, "type": "reading", "data": {"value": value, "unit": data["unit"]}}
        raise ValueError(f"unknown event type {data['type']!r}")

    def encode_command(self, command: CommandPayload) -> bytes:
        return json.dumps({"msg_id": command.id, "op": self.OPS.get(command.action, command.action.upper()),
                           "args": command.params, "ts": int(command.issued_at.timestamp()),
                           "valid_until": int(command.expires_at.timestamp())}).encode()


ADAPTERS: dict[str, Adapter] = {"linli": LinliAdapter(), ExampleVendorAdapter.name: ExampleVendorAdapter()}


def adapter_for(name: str) -> Adapter:
    return ADAPTERS.get(name) or ADAPTERS["linli"]
