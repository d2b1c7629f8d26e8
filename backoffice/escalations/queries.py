"""Reading escalations for staff: lists with filters, the detail view (owner, households, transcript, replies)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backoffice.security import scoped
from workflows.bindings.models import WechatBinding
from workflows.clock import utcnow
from workflows.community.models import Community, Household
from workflows.escalations.models import Escalation, EscalationReply, EscalationStatus
from workflows.escalations.scheduled import is_overdue, parse_working_hours
from workflows.messages.service import recent_transcript
from workflows.outbox.models import OutboxMessage
from workflows.settings import Settings
from workflows.staff.models import StaffUser

FILTERS = {"active": "未解决", "open": "待处理", "claimed": "处理中", "overdue": "已超时", "resolved": "已解决"}
STATUS_LABELS = {EscalationStatus.OPEN: "待处理", EscalationStatus.CLAIMED: "处理中",
                 EscalationStatus.RESOLVED: "已解决"}
REASON_LABELS = {"asked_for_person": "业主要求转人工", "low_confidence": "机器人没把握",
                 "repeated_failure": "多次没听懂", "not_yet_available": "功能尚未开通",
                 "unhelpful_answer": "回答没帮助", "other": "其他"}
DELIVERY_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已送达微信", "dead": "发送失败"}


@dataclass
class EscalationRow:
    escalation: Escalation
    overdue: bool
    households: list[str]
    claimed_by: str = ""


@dataclass
class ReplyView:
    reply: EscalationReply
    staff_name: str
    delivery: str


@dataclass
class EscalationDetail:
    escalation: Escalation
    community: Community
    overdue: bool
    households: list[dict[str, Any]]
    transcript: list[dict[str, Any]]
    replies: list[ReplyView] = field(default_factory=list)
    claimed_by: str = ""


def overdue_now(escalation: Escalation, settings: Settings, now: datetime | None = None) -> bool:
    return escalation.flagged_overdue and escalation.first_response_at is None or is_overdue(
        escalation, now=now or utcnow(), tz=settings.tz, hours=parse_working_hours(settings.working_hours),
        overdue_minutes=settings.escalation_overdue_minutes)


async def _households_by_openid(session: AsyncSession, openids: set[str]) -> dict[str, list[WechatBinding]]:
    if not openids:
        return {}
    bindings = await session.scalars(select(WechatBinding).where(WechatBinding.openid.in_(openids)).options(
        selectinload(WechatBinding.household).selectinload(Household.building),
        selectinload(WechatBinding.resident)))
    found: dict[str, list[WechatBinding]] = {}
    for binding in bindings:
        found.setdefault(binding.openid, []).append(binding)
    return found


async def _staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(StaffUser.id, StaffUser.display_name)
                                       .where(StaffUser.id.in_(ids)))).tuples().all())


async def list_escalations(session: AsyncSession, *, staff: StaffUser, settings: Settings, status: str = "active",
                           limit: int = 200) -> list[EscalationRow]:
    """Escalations in the staff member's communities, newest first, filtered by 未解决/待处理/处理中/已超时/已解决."""
    statement = scoped(select(Escalation), Escalation, staff).order_by(Escalation.id.desc()).limit(limit)
    if status == "resolved":
        statement = statement.where(Escalation.status == EscalationStatus.RESOLVED)
    elif status in ("open", "claimed"):
        statement = statement.where(Escalation.status == EscalationStatus(status))
    else:
        statement = statement.where(Escalation.status != EscalationStatus.RESOLVED)
    rows = list(await session.scalars(statement))
    now = utcnow()
    if status == "overdue":
        rows = [e for e in rows if overdue_now(e, settings, now)]
    households = await _households_by_openid(session, {e.openid for e in rows})
    names = await _staff_names(session, {e.claimed_by for e in rows if e.claimed_by})
    return [EscalationRow(escalation=e, overdue=e.status != EscalationStatus.RESOLVED and overdue_now(e, settings, now),
                          households=[b.household.label for b in households.get(e.openid, [])
                                      if b.community_id == e.community_id],
                          claimed_by=names.get(e.claimed_by or 0, "")) for e in rows]


async def count_waiting(session: AsyncSession, *, staff: StaffUser) -> int:
    """Escalations nobody has taken yet (the nav badge)."""
    statement = scoped(select(func.count(Escalation.id)), Escalation, staff).where(
        Escalation.status == EscalationStatus.OPEN)
    return int(await session.scalar(statement) or 0)


async def escalation_detail(session: AsyncSession, *, escalation: Escalation, settings: Settings) -> EscalationDetail:
    """Everything the detail page shows; the transcript is read live from the message log."""
    community = await session.get(Community, escalation.community_id)
    assert community is not None
    bindings = (await _households_by_openid(session, {escalation.openid})).get(escalation.openid, [])
    households = [{"label": b.household.label, "resident": b.resident.name, "role": b.resident.role.value,
                   "phone": b.resident.phone, "household_id": b.household_id}
                  for b in bindings if b.community_id == escalation.community_id]
    log = await recent_transcript(session, openid=escalation.openid, limit=30)
    transcript = [{"direction": m.direction, "content": m.content, "at": m.created_at} for m in log] or [
        {"direction": t.get("direction", "in"), "content": t.get("content", ""),
         "at": datetime.fromisoformat(t["at"]) if t.get("at") else None} for t in escalation.transcript]
    replies = list(await session.scalars(select(EscalationReply).where(
        EscalationReply.escalation_id == escalation.id).order_by(EscalationReply.id)))
    names = await _staff_names(session, {r.staff_id for r in replies} | ({escalation.claimed_by}
                                                                          if escalation.claimed_by else set()))
    statuses = dict((await session.execute(select(OutboxMessage.dedup_key, OutboxMessage.status).where(
        OutboxMessage.dedup_key.in_([f"escalation-reply:{r.id}" for r in replies])))).tuples().all())
    views = [ReplyView(reply=r, staff_name=names.get(r.staff_id, ""),
                       delivery=DELIVERY_LABELS.get(str(statuses.get(f"escalation-reply:{r.id}", "")), "未知"))
             for r in replies]
    return EscalationDetail(escalation=escalation, community=community, households=households, transcript=transcript,
                            replies=views, overdue=escalation.status != EscalationStatus.RESOLVED
                            and overdue_now(escalation, settings), claimed_by=names.get(escalation.claimed_by or 0, ""))
