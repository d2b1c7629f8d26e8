"""The message log (消息记录): what owners sent and what they were told, for transcripts and analytics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base


class MessageLog(Base):
    __tablename__ = "message_log"
    __table_args__ = (Index("ix_message_log_openid_created", "openid", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), default=None, index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the owner, "out" to the owner
    msg_type: Mapped[str] = mapped_column(String(20), default="text")
    content: Mapped[str] = mapped_column(Text, default="")
    wechat_msg_id: Mapped[str | None] = mapped_column(String(64), default=None)
    channel: Mapped[str] = mapped_column(String(16), default="wechat")  # wechat | chat (terminal)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
