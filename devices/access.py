"""Pass codes at a gate: an access event (a scanned QR token or a typed backup code) is validated by the visitors
service and either opens the gate (an "open" command queued in the same transaction as the entry) or is refused.
Failed attempts are counted per gate in the state store; past the limit every attempt at that gate is refused until
the minute that began with the first failure is over, so codes cannot be guessed by trying."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from devices import commands
from devices.schema import AccessEvent
from workflows.devices.models import Device, DeviceKind
from workflows.runtime import Runtime
from workflows.visitors import service as visitors
from workflows.visitors.tokens import pass_key

log = logging.getLogger("linli.devices.access")
FAILURE_WINDOW_S = 60
OPEN_TTL_S = 10.0  # a gate opened for a visitor must do it now or never


@dataclass
class PassCheckAtGate:
    runtime: Runtime
    max_failures: int = 5  # per gate and minute

    def __post_init__(self) -> None:
        settings = self.runtime.settings
        self.key = pass_key(secret_key=settings.secret_key, visitor_pass_secret=settings.visitor_pass_secret)

    def _failure_key(self, device: Device) -> str:
        return f"gate-failures:{device.id}"  # a window of FAILURE_WINDOW_S from the first failure

    async def __call__(self, session: AsyncSession, device: Device, event: AccessEvent) -> None:
        method = event.data.method
        if device.kind != DeviceKind.GATE:
            log.warning("access event from %s, which is not a gate; ignored", device.code)
            return
        failures = self._failure_key(device)
        if int(await self.runtime.state.get(failures) or 0) >= self.max_failures:
            await visitors.refuse_at_gate(session, community_id=device.community_id, device_id=device.id,
                                          method=method, reason="rate_limited")
            return
        decision = await visitors.admit_at_gate(session, key=self.key, community_id=device.community_id,
                                                presented=event.data.code, method=method, device_id=device.id)
        if not decision.admitted:
            await self.runtime.state.incr(failures, ttl_s=FAILURE_WINDOW_S)
            log.info("gate %s refused a %s: %s", device.code, method, decision.reason)
            return
        command = await commands.queue(session, device=device, action="open", ttl_s=OPEN_TTL_S,
                                       requested_by=f"pass:{decision.visitor_pass.id}",
                                       params={"pass": decision.visitor_pass.number}, reason="访客通行证")
        decision.entry.command_id = command.command_id
