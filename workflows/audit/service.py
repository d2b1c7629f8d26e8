"""Writing audit rows; callers do it in the same transaction as the change they record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.models import AuditEvent

if TYPE_CHECKING:
    from workflows.access.actor import Actor


def record_event(session: AsyncSession, *, entity_type: str, entity_id: int | str, action: str,
                 actor: Actor | str, community_id: int | None = None, from_state: str | None = None,
                 to_state: str | None = None, reason: str = "", data: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit row to the caller's transaction; the actor's kind and id go to their own columns.
    A plain string names a part of the system ("cli", "device:YG-01"); people are always passed as an Actor."""
    from workflows.access.actor import Actor

    who = Actor.system(actor) if isinstance(actor, str) else actor
    event = AuditEvent(entity_type=entity_type, entity_id=str(entity_id), action=action, actor=who.audit_name,
                       actor_kind=str(who.kind), actor_id=who.actor_id, community_id=community_id,
                       from_state=from_state, to_state=to_state, reason=reason, data=data or {})
    session.add(event)
    return event
