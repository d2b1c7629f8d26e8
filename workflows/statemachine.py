"""One function that applies a workflow's transition table. Each workflow declares its own table in states.py:

    TRANSITIONS = {
        (Status.SUBMITTED, "assign"): Transition(Status.ASSIGNED, roles={"manager", "front_desk"}),
        ...
    }
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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


def allowed_actions(table: Table, current: enum.Enum, actor_role: str) -> list[str]:
    """Actions the actor may take now, in table order (for buttons on staff pages)."""
    return [action for (state, action), t in table.items()
            if state == current and (not t.roles or actor_role in t.roles)]
