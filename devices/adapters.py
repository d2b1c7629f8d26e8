"""The adapter boundary: a vendor's controller payloads ↔ the Linli schema (devices/schema.py).

Device.adapter names the adapter for each device. The gateway hands every inbound payload to the device's adapter
and publishes every command through it, so the rest of Linli only sees schema models. `linli` is the identity
mapping for controllers (or bridges) that speak the schema directly; a vendor mapping is one more class here and
one entry in ADAPTERS (see docs/devices.md for what one has to provide).
"""

from __future__ import annotations

import json
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


ADAPTERS: dict[str, Adapter] = {"linli": LinliAdapter()}


def adapter_for(name: str) -> Adapter:
    return ADAPTERS.get(name) or ADAPTERS["linli"]
