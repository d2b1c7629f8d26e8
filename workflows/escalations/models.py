"""Escalations (转人工): what the bot could not answer, waiting for a person in the back office."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, Timestamped, str_enum


class EscalationStatus(enum.StrEnum):
    OPEN = "open"  # 待处理
    CLAIMED = "claimed"  # 处理中
    RESOLVED = "resolved"  # 已解决


class EscalationReason(enum.StrEnum):
    ASKED_FOR_PERSON = "asked_for_person"  # 业主要求转人工
    LOW_CONFIDENCE = "low_confidence"  # 机器人没把握
    REPEATED_FAILURE = "repeated_failure"  # 多次没听懂
    NOT_YET_AVAILABLE = "not_yet_available"  # 功能尚未开通 (缴费、访客)
    UNHELPFUL_ANSWER = "unhelpful_answer"  # 回答没帮助
    OTHER = "other"


class Escalation(Timestamped, Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), index=True)  # RG-20261124-0003, sayable on the phone
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[EscalationReason] = mapped_column(str_enum(EscalationReason, 24))
    question: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[list[Any]] = mapped_column(default=list)  # [{"direction", "content", "at"}]
    status: Mapped[EscalationStatus] = mapped_column(str_enum(EscalationStatus, 16),
                                                     default=EscalationStatus.OPEN, index=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    last_owner_message_at: Mapped[datetime | None] = mapped_column(default=None)
    flagged_overdue: Mapped[bool] = mapped_column(default=False)
    faq_candidate: Mapped[str] = mapped_column(Text, default="")  # a staff answer marked to become a FAQ entry
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # two staff claiming at once: one wins

    __mapper_args__ = {"version_id_col": version}


class EscalationReply(Base):
    __tablename__ = "escalation_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="custom")  # custom (客服消息) | template
    created_at: Mapped[datetime] = mapped_column()
