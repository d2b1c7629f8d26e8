"""FAQ entries (常见问题), feedback on answers (有帮助吗) and unanswered questions (未解答问题)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import utcnow
from workflows.db import Base, Timestamped, str_enum


class FaqKind(enum.StrEnum):
    FAQ = "faq"  # a question and its answer (问答)
    DOC = "doc"  # a chunk of a document (管理规约、装修管理规定…)


class UnansweredReason(enum.StrEnum):
    UNKNOWN = "unknown"  # the bot did not know (没找到答案)
    UNHELPFUL = "unhelpful"  # the owner said the answer did not help (回答没帮助)
    HANDOVER = "handover"  # handed over to a person (转人工)


class FaqEntry(Timestamped, Base):
    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)  # None: shared
    source: Mapped[str] = mapped_column(String(200), index=True)  # file name, or "staff" for 客服答复
    kind: Mapped[FaqKind] = mapped_column(str_enum(FaqKind, 8), default=FaqKind.FAQ)
    category: Mapped[str] = mapped_column(String(100), default="")
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list[Any]] = mapped_column(default=list)  # other ways owners ask it
    citation: Mapped[str] = mapped_column(String(300), default="")  # 物业服务指南·缴费
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(default=0)  # order in its source file
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)


class FaqFeedback(Base):
    __tablename__ = "faq_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[int | None] = mapped_column(default=None)  # no foreign key: entries go when a file is re-imported
    helpful: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UnansweredQuestion(Base):
    __tablename__ = "faq_unanswered"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(200), index=True)  # normalised, to group the same question
    reason: Mapped[UnansweredReason] = mapped_column(str_enum(UnansweredReason, 16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
