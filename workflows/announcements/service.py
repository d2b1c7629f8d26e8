"""The only code that changes announcements: create (draft), publish (push to bound owners), withdraw; and the reads
the chat (最新公告) and the back office need.

Publishing queues one outbox row per bound openid in scope (a customer-service text within WeChat's 48-hour window,
else a template message), spread out in time (`SEND_RATE_PER_S`) so a large
community does not hit WeChat's rate limits in one burst; delivery counts are read back from the outbox statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import SYSTEM, Actor
from workflows.announcements.models import Announcement, AnnouncementStatus
from workflows.announcements.states import TRANSITIONS
from workflows.audit.service import record_event
from workflows.bindings.models import WechatBinding
from workflows.clock import utcnow
from workflows.community.models import Building, Community, Household
from workflows.messages.models import MessageLog
from workflows.outbox.models import OutboxMessage
from workflows.outbox.notify import WECHAT_WINDOW
from workflows.outbox.service import enqueue
from workflows.statemachine import TransitionNotAllowed, apply_transition

SEND_RATE_PER_S = 10  # announcement messages per second handed to the delivery worker
MAX_TITLE = 60
MAX_BODY = 2000
PUSH_PREVIEW = 300


class AnnouncementError(ValueError):
    """A bad value in an announcement form; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def create_announcement(session: AsyncSession, *, community_id: int, title: str, body: str,
                              building_id: int | None = None, pinned: bool = False,
                              staff_id: int | None = None) -> Announcement:
    """A draft announcement for the whole community or one building; checks every field."""
    title, body = title.strip(), body.strip()
    if not title:
        raise AnnouncementError("title", "请填写标题")
    if len(title) > MAX_TITLE:
        raise AnnouncementError("title", f"标题请控制在 {MAX_TITLE} 字以内")
    if not body:
        raise AnnouncementError("body", "请填写正文")
    if len(body) > MAX_BODY:
        raise AnnouncementError("body", f"正文请控制在 {MAX_BODY} 字以内")
    if building_id is not None:
        building = await session.get(Building, building_id)
        if building is None or building.community_id != community_id:
            raise AnnouncementError("building_id", "请选择本小区的楼栋")
    announcement = Announcement(community_id=community_id, building_id=building_id, title=title, body=body,
                                pinned=pinned, created_by=staff_id)
    session.add(announcement)
    await session.flush()
    record_event(session, entity_type="announcement", entity_id=announcement.id, action="create",
                 actor=Actor.of_staff_id(staff_id) if staff_id else SYSTEM, community_id=community_id,
                 data={"title": title, "building_id": building_id, "pinned": pinned})
    return announcement


async def recipients_of(session: AsyncSession, *, announcement: Announcement) -> list[str]:
    """Bound openids of the community (or of the building), each once."""
    statement = select(WechatBinding.openid).where(WechatBinding.community_id == announcement.community_id)
    if announcement.building_id is not None:
        statement = statement.join(Household, Household.id == WechatBinding.household_id).where(
            Household.building_id == announcement.building_id)
    return sorted(set(await session.scalars(statement.distinct())))


def push_text(announcement: Announcement, community_name: str) -> str:
    body = announcement.body if len(announcement.body) <= PUSH_PREVIEW else announcement.body[:PUSH_PREVIEW] + "…"
    return f"【{community_name}公告】{announcement.title}\n{body}\n\n回复「最新公告」可查看全部公告。"


async def _recently_active(session: AsyncSession, *, openids: list[str], since: datetime) -> set[str]:
    if not openids:
        return set()
    return set(await session.scalars(select(MessageLog.openid).where(
        MessageLog.openid.in_(openids), MessageLog.direction == "in", MessageLog.created_at >= since).distinct()))


async def _transition(session: AsyncSession, announcement: Announcement, action: str, actor: Actor,
                      message: str, changes: dict[str, object] | None = None) -> None:
    """Through the transition table; a change made meanwhile by someone else (the version) is AnnouncementError."""
    try:
        await apply_transition(session, announcement, table=TRANSITIONS, action=action, actor=actor,
                               entity_type="announcement", reference=announcement.title, changes=changes,
                               data={"recipients": changes["recipients"]} if changes else None)
    except TransitionNotAllowed as exc:
        raise AnnouncementError("status", message) from exc


async def publish_announcement(session: AsyncSession, *, announcement: Announcement, actor: Actor = SYSTEM,
                               now: datetime | None = None) -> int:
    """Publish a draft: it appears in chat, and one outbox row per bound owner is queued, spread out in time."""
    now = now or utcnow()
    community = await session.get(Community, announcement.community_id)
    assert community is not None
    openids = await recipients_of(session, announcement=announcement)
    await _transition(session, announcement, "publish", actor, "这条公告已经发布或撤回，不能再发布",
                      {"published_at": now, "recipients": len(openids)})
    text = push_text(announcement, community.name)
    recent = await _recently_active(session, openids=openids, since=now - WECHAT_WINDOW)
    for index, openid in enumerate(openids):
        # Customer-service messages reach only owners who wrote within 48 hours; the rest get a template message.
        kind = "wechat.text" if openid in recent else "wechat.template"
        message = await enqueue(session, kind=kind, community_id=announcement.community_id,
                                dedup_key=f"announcement:{announcement.id}:{openid}",
                                payload={"openid": openid, "text": text, "template": "announcement",
                                         "ref": f"announcement:{announcement.id}"})
        if message is not None:
            message.next_attempt_at = now + timedelta(seconds=index / SEND_RATE_PER_S)
    return len(openids)


async def withdraw_announcement(session: AsyncSession, *, announcement: Announcement, actor: Actor) -> None:
    """Take a published announcement out of the chat list (messages already delivered stay delivered)."""
    await _transition(session, announcement, "withdraw", actor, "只有已发布的公告可以撤回")


async def delivery_counts(session: AsyncSession, *, announcement_id: int) -> dict[str, int]:
    """How many pushes are pending, sending, sent or dead (read from the outbox)."""
    rows = await session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.dedup_key.like(f"announcement:{announcement_id}:%")).group_by(OutboxMessage.status))
    counts = {"pending": 0, "sending": 0, "sent": 0, "dead": 0}
    for status, count in rows.tuples():
        counts[str(status)] = int(count)
    return counts


@dataclass(frozen=True)
class AnnouncementView:
    """An announcement as owners read it in chat (最新公告)."""

    id: int
    title: str
    body: str
    pinned: bool
    published_at: datetime | None
    published: bool  # False once withdrawn (or still a draft)

    @classmethod
    def of(cls, announcement: Announcement) -> AnnouncementView:
        return cls(id=announcement.id, title=announcement.title, body=announcement.body, pinned=announcement.pinned,
                   published_at=announcement.published_at,
                   published=announcement.status == AnnouncementStatus.PUBLISHED)


async def latest_for_owner(session: AsyncSession, *, community_ids: set[int], household_ids: list[int],
                           limit: int = 5) -> list[AnnouncementView]:
    """`latest_announcements` for an owner's bound households (their buildings' notices included)."""
    building_ids = set(await session.scalars(select(Household.building_id).where(Household.id.in_(household_ids)))) \
        if household_ids else set()
    return await latest_announcements(session, community_ids=community_ids, building_ids=building_ids, limit=limit)


async def announcement_view(session: AsyncSession, *, announcement_id: int) -> AnnouncementView | None:
    announcement = await session.get(Announcement, announcement_id)
    return AnnouncementView.of(announcement) if announcement else None


async def latest_announcements(session: AsyncSession, *, community_ids: set[int], building_ids: set[int] = frozenset(),
                               limit: int = 5) -> list[AnnouncementView]:
    """Published announcements an owner should see: pinned first, then newest (最新公告)."""
    if not community_ids:
        return []
    scope = Announcement.building_id.is_(None)
    if building_ids:
        scope = or_(scope, Announcement.building_id.in_(building_ids))
    return [AnnouncementView.of(a) for a in await session.scalars(select(Announcement).where(
        Announcement.community_id.in_(community_ids), Announcement.status == AnnouncementStatus.PUBLISHED, scope)
        .order_by(Announcement.pinned.desc(), Announcement.published_at.desc()).limit(limit))]
