"""What a dialog step sees: the message, the owner (their bound households), the slot values, the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.messages import Inbound
from workflows.runtime import Runtime


@dataclass(frozen=True)
class BoundHousehold:
    household_id: int
    community_id: int
    community_name: str
    label: str  # 3栋1单元302
    resident_id: int
    resident_name: str
    resident_phone: str


@dataclass
class OwnerProfile:
    openid: str
    households: list[BoundHousehold]
    default_community_id: int  # the bound community, else the account's default community

    @property
    def is_bound(self) -> bool:
        return bool(self.households)

    @property
    def community_ids(self) -> set[int]:
        return {h.community_id for h in self.households} or {self.default_community_id}


@dataclass
class DialogContext:
    inbound: Inbound
    owner: OwnerProfile
    runtime: Runtime
    values: dict[str, Any] = field(default_factory=dict)  # filled slots (plain JSON)
    facts: dict[str, Any] = field(default_factory=dict)  # what slots read before being asked (Slot.facts)
    submission_key: str = ""  # the engine's key for this dialog run: a repeated submit finds the first one's result
    services: Any = None  # bot.services.BotServices: the FAQ assistant, the media store, ...
    registry: Any = None  # bot.registry.DialogRegistry: every dialog (帮助 lists them)
    conversation: Any = None  # bot.conversation.Conversation, for the host's bookkeeping (a declined offer)
    host: Any = None  # bot.router.Bot: hand-over and FAQ answers for dialogs that need them (follow-ups, 转人工)

    @property
    def openid(self) -> str:
        return self.owner.openid
