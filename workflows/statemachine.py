"""One function that applies a workflow's transition table. Each workflow declares its own table in states.py:

    TRANSITIONS = {
        (Status.SUBMITTED, "assign"): Transition(Status.ASSIGNED, roles=DESK),   # groups: workflows.access.roles
        ...
    }
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from workflows.audit.service import record_event


class TransitionNotAllowed(Exception):
    """The requested action is not allowed from the current state, or not for this actor."""

    def __init__(self, message: str, *, current: str, action: str) -> None:
        super().__init__(message)
        self.current = current
        self.action = action


@dataclass(frozen=True)
class Transition:
    to: enum.Enum
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: anyone the service lets call it

    def __init__(self, to: enum.Enum, roles: Iterable[str] = ()) -> None:
        object.__setattr__(self, "to", to)
        object.__setattr__(self, "roles", frozenset(roles))


Table = Mapping[tuple[enum.Enum, str], Transition]


def next_state(table: Table, current: enum.Enum, action: str, actor_role: str) -> enum.Enum:
    """The state `action` leads to from `current` for an actor of `actor_role`, or TransitionNotAllowed."""
    transition = table.get((current, action))
    if transition is None:
        raise TransitionNotAllowed(f"cannot {action} from {current.value}", current=current.value, action=action)
    if transition.roles and actor_role not in transition.roles:
        raise TransitionNotAllowed(f"{actor_role} may not {action}", current=current.value, action=action)
    return transition.to


def table_actions(table: Table, current: enum.Enum, actor_role: str) -> list[str]:
    """Actions the table offers from `current` to this role, in table order. Pages ask
    workflows.access.allowed_actions, which adds community scope and per-kind rules to this."""
    return [action for (state, action), t in table.items()
            if state == current and (not t.roles or actor_role in t.roles)]


async def apply_transition(session: AsyncSession, row: Any, *, table: Table, action: str, actor: Any,
                           entity_type: str, conflict: type[TransitionNotAllowed] = TransitionNotAllowed,
                           reason: str = "", changes: dict[str, Any] | None = None,
                           data: dict[str, Any] | None = None, reference: str | None = None) -> enum.Enum:
    """The one place a workflow row's status changes: check the table for the actor's role, set the status and the
    other changes, flush (a version column turns a concurrent change into `conflict`), then write the audit row.
    `row` has .id, .status, .community_id and .number (or pass `reference`: what people call the row); `actor` is
    an Actor."""
    old, number = row.status, reference or row.number  # read now: a failed flush expires the object
    new = next_state(table, old, action, actor.role)
    row.status = new
    for name, value in (changes or {}).items():
        setattr(row, name, value)
    try:
        await session.flush()
    except StaleDataError as exc:
        raise conflict(f"{number} changed meanwhile", current=old.value, action=action) from exc
    record_event(session, entity_type=entity_type, entity_id=row.id, action=action, actor=actor,
                 community_id=row.community_id, from_state=old, to_state=new, reason=reason[:2000],
                 data={"number": number, **(data or {})})
    return new


@dataclass(frozen=True)
class Outcome:
    """What an attempted action came to, for a caller that holds no rows (the bot): done, or why not."""

    refused: str = ""  # "" when done; otherwise a short reason code the caller words (not_found, not_allowed …)
    status_label: str = ""  # the item's status when the attempt was made (待派单), for the refusal's wording

    @property
    def done(self) -> bool:
        return not self.refused
