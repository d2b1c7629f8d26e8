"""One owner's conversation state: plain JSON under `conv:{openid}` in the state store, so any worker can take the
next message. Holds the active dialog (slot, values, facts, stage, its submission key) and a parked draft: a dialog
the owner left for another topic, kept for DRAFT_KEEP_S so starting it again carries on where they were. FAQ feedback,
numbered FAQ choices and the hand-over offer are small follow-up dialogs like any other (bot/dialogs/follow_ups.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot import state_json
from workflows.statestore import StateStore

KEY = "conv:{openid}"
TTL_S = 7 * 24 * 3600  # a forgotten conversation disappears; dialogs expire much earlier (dialog_idle_minutes)
DRAFT_KEEP_S = 600  # a dialog left for another topic is kept this long
TOPIC_KEEP_S = 600  # a question the FAQ answered is what a follow-on within this long is about
_DIALOG_FIELDS = ("dialog", "slot_index", "values", "facts", "stage", "history", "submission_key")


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
    facts: dict[str, Any] = field(default_factory=dict)  # what slots read before being asked (Slot.facts)
    submission_key: str = ""  # one per dialog run: a submit delivered twice finds what the first one made
    parked: dict[str, Any] | None = None  # a draft left for another topic: the dialog fields + "at"
    unknown_count: int = 0  # FAQ "unknown" answers in a row
    topic: str = ""  # the last question the FAQ answered, for a follow-on ("那手机上能交不") within TOPIC_KEEP_S
    topic_at: float = 0.0
    said_community: int = 0  # an owner not bound yet said which community they live in, for FAQ answers
    updated_at: float = 0.0  # unix seconds of the last message

    @property
    def in_dialog(self) -> bool:
        return self.dialog is not None

    def end_dialog(self) -> None:
        self.dialog, self.slot_index, self.values, self.invalid_count = None, 0, {}, 0
        self.stage, self.history, self.choices, self.edit_return = "slot", [], [], False
        self.facts, self.submission_key = {}, ""

    def start_dialog(self, name: str, values: dict[str, Any] | None = None) -> None:
        self.end_dialog()
        self.dialog = name
        self.values = dict(values or {})
        self.submission_key = f"{self.openid}:{name}:{uuid.uuid4().hex[:16]}"

    def park(self, now: float) -> None:
        """Keep the active dialog's draft (the owner turned to something else) and leave it."""
        self.parked = {name: getattr(self, name) for name in _DIALOG_FIELDS} | {"at": now}
        self.end_dialog()

    def resume(self, name: str, now: float) -> bool:
        """Carry on with a parked draft of this dialog when it is recent enough; False when there is none."""
        parked, self.parked = self.parked, None
        if not parked or parked.get("dialog") != name or now - parked.get("at", 0) > DRAFT_KEEP_S:
            return False
        self.end_dialog()
        for key in _DIALOG_FIELDS:
            setattr(self, key, parked[key])
        return True

    def idle_for(self, now: float) -> float:
        return now - self.updated_at if self.updated_at else 0.0

    def to_json(self) -> str:
        # A shallow dict: dataclasses.asdict deep-copies every value and was half the cost of a dialog step.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return state_json.dumps(data)

    @classmethod
    def from_json(cls, openid: str, raw: str | None) -> Conversation:
        if not raw:
            return cls(openid=openid)
        try:
            data = state_json.loads(raw)
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
