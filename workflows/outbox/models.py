"""The outbox (发件箱): side effects written in the same transaction as the state change, delivered by workers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, str_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # leased by a worker
    SENT = "sent"
    DEAD = "dead"  # gave up after the last attempt; staff see it


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # "wechat.text", "wechat.template", ...
    payload: Mapped[dict[str, Any]] = mapped_column()
    # A sender-chosen key: enqueueing the same key twice stores one row, so a retried request sends once.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), default=None, index=True)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, 16),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
