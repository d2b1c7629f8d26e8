"""Who acts: a staff member (role, communities), an owner (openid, the communities of their bound households) or
the system (timers, automatic dispatch). Services take an Actor; audit rows store its kind and id."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.access import roles

if TYPE_CHECKING:
    from workflows.staff.models import StaffUser


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    OWNER = "owner"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """`role` is a Role value for staff, "owner" or "system" otherwise. Build one with Actor.of_staff(row),
    Actor.owner(openid) or use SYSTEM; `Actor(role="manager", staff_id=3)` also works (kind follows the fields)."""

    role: str
    staff_id: int | None = None
    openid: str | None = None
    community_ids: frozenset[int] = field(default_factory=frozenset)
    kind: ActorKind | None = None
    part: str = ""  # the system only: which part acted ("cli", "device:YG-01"), stored as its audit id

    def __post_init__(self) -> None:
        if self.kind is None:
            kind = ActorKind.OWNER if self.role == roles.OWNER else (
                ActorKind.SYSTEM if self.role == roles.SYSTEM else ActorKind.STAFF)
            object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "community_ids", frozenset(self.community_ids))

    @classmethod
    def of_staff(cls, staff: StaffUser) -> Actor:
        return cls(role=str(staff.role.value), staff_id=staff.id, community_ids=frozenset(staff.community_ids),
                   kind=ActorKind.STAFF)

    @classmethod
    def of_staff_id(cls, staff_id: int) -> Actor:
        """A staff member known only by id (a service given `staff_id`): enough for audit rows, not for rules."""
        return cls(role="", staff_id=staff_id, kind=ActorKind.STAFF)

    @classmethod
    def owner(cls, openid: str, community_ids: Iterable[int] = ()) -> Actor:
        return cls(role=roles.OWNER, openid=openid, community_ids=frozenset(community_ids), kind=ActorKind.OWNER)

    @classmethod
    def system(cls, part: str = "") -> Actor:
        """The system, or a named part of it ("cli", "device:YG-01", "linkage") as its audit id."""
        return cls(role=roles.SYSTEM, kind=ActorKind.SYSTEM, part="" if part == "system" else part)

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF

    @property
    def is_admin(self) -> bool:
        return self.is_staff and self.role in roles.ADMINS

    @property
    def actor_id(self) -> str:
        """The id stored in audit rows beside the kind: the staff id, the openid, or the system's part ("" or "cli")."""
        if self.kind == ActorKind.STAFF:
            return str(self.staff_id or "")
        if self.kind == ActorKind.SYSTEM:
            return self.part
        return self.openid or ""

    @property
    def audit_name(self) -> str:
        """A readable "kind:id" for logs and timelines (never parsed back)."""
        return f"{self.kind}:{self.actor_id}" if self.actor_id else str(self.kind)

    def serves(self, community_id: int | None) -> bool:
        """Staff: the community is one of theirs (admins: every one). The system serves every community."""
        if self.kind == ActorKind.SYSTEM or self.is_admin:
            return True
        return community_id is not None and community_id in self.community_ids

    def in_group(self, group: Iterable[str]) -> bool:
        return self.is_staff and self.role in group


SYSTEM = Actor(role=roles.SYSTEM, kind=ActorKind.SYSTEM)
