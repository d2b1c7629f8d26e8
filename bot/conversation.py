"""One owner's conversation state: plain JSON under `conv:{openid}` in the state store, so any worker can take the
next message. Holds the active dialog (slot, values, stage) and small pending states outside a dialog (FAQ feedback,
numbered FAQ choices, an offered hand-over)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from workflows.statestore import StateStore

KEY = "conv:{openid}"
TTL_S = 7 * 24 * 3600  # a forgotten conversation disappears; dialogs expire much earlier (dialog_idle_minutes)


@dataclass
class Conversation:
    openid: str
    dialog: str | None = None  # the active dialog's name
    slot_index: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    invalid_count: int = 0
    stage: str = "slot"  # slot | confirm | edit | offer_handover
    history: list[int] = field(default_factory=list)  # slots answered, for 返回
    choices: list[list[Any]] = field(default_factory=list)  # the numbered choices last shown: [value, label, aliases]
    edit_return: bool = False  # after changing one slot from the confirmation, go back to it
    pending: dict[str, Any] | None = None  # outside a dialog: {"kind": "feedback"|"faq_choices"|"offer_handover"}
    unknown_count: int = 0  # FAQ "unknown" answers in a row
    updated_at: float = 0.0  # unix seconds of the last message

    @property
    def in_dialog(self) -> bool:
        return self.dialog is not None

    def end_dialog(self) -> None:
        self.dialog, self.slot_index, self.values, self.invalid_count = None, 0, {}, 0
        self.stage, self.history, self.choices, self.edit_return = "slot", [], [], False

    def start_dialog(self, name: str, values: dict[str, Any] | None = None) -> None:
        self.end_dialog()
        self.pending = None
        self.dialog = name
        self.values = dict(values or {})

    def idle_for(self, now: float) -> float:
        return now - self.updated_at if self.updated_at else 0.0

    def to_json(self) -> str:
        # A shallow dict: dataclasses.asdict deep-copies every value and was half the cost of a dialog step.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, openid: str, raw: str | None) -> Conversation:
        if not raw:
            return cls(openid=openid)
        try:
            data = json.loads(raw)
            data["openid"] = openid
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(**known)
        except (ValueError, TypeError):
            return cls(openid=openid)  # unreadable state starts afresh rather than failing the owner


class ConversationStore:
    """Load and save conversations: one get and one set per message."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    async def load(self, openid: str) -> Conversation:
        return Conversation.from_json(openid, await self.state.get(KEY.format(openid=openid)))

    async def save(self, conversation: Conversation) -> None:
        conversation.updated_at = time.time()
        await self.state.set(KEY.format(openid=conversation.openid), conversation.to_json(), TTL_S)

    async def forget(self, openid: str) -> None:
        await self.state.delete(KEY.format(openid=openid))
