"""Audit rows: every state transition and staff action, who, when, from, to, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),
                      Index("ix_audit_actor", "actor_kind", "actor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), default=None, index=True)
    entity_type: Mapped[str] = mapped_column(String(40))  # "repair", "complaint", "escalation", "staff", ...
    entity_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    actor_kind: Mapped[str] = mapped_column(String(10), default="system")  # staff | owner | system (ActorKind)
    actor_id: Mapped[str] = mapped_column(String(80), default="")  # staff id, openid, or the system part ("cli")
    actor: Mapped[str] = mapped_column(String(80))  # a readable label ("staff:3"): shown, searched, never parsed
    from_state: Mapped[str | None] = mapped_column(String(30), default=None)
    to_state: Mapped[str | None] = mapped_column(String(30), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
