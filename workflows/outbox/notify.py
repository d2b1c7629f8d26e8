"""Telling people through the outbox, for every workflow: owners (客服消息 within WeChat's 48-hour window, a template
message after it — `WECHAT_WINDOW` and `owner_channel` are the one place that rule lives), and staff bound to
WeChat (technicians, guards, managers). Always inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.clock import as_utc, utcnow
from workflows.messages.models import MessageLog
from workflows.outbox.service import enqueue
from workflows.staff.models import Role, StaffCommunity, StaffUser

WECHAT_WINDOW = timedelta(hours=48)


async def last_owner_message_at(session: AsyncSession, *, openid: str) -> datetime | None:
    """The owner's last inbound message (the start of WeChat's 48-hour customer-service window)."""
    return await session.scalar(select(func.max(MessageLog.created_at))
                                .where(MessageLog.openid == openid, MessageLog.direction == "in"))


async def owner_channel(session: AsyncSession, *, openid: str, fallback: datetime | None = None,
                        now: datetime | None = None) -> str:
    """"wechat.text" while the 48-hour window is open, else "wechat.template"."""
    last = await last_owner_message_at(session, openid=openid)
    candidates = [moment for moment in (last, fallback) if moment is not None]
    if not candidates:
        return "wechat.template"
    newest = max(as_utc(moment) for moment in candidates)
    return "wechat.text" if (now or utcnow()) - newest < WECHAT_WINDOW else "wechat.template"


async def tell_owner(session: AsyncSession, *, openid: str, community_id: int, text: str, ref: str, event: str,
                     template: str = "repair_status", fallback: datetime | None = None,
                     now: datetime | None = None, dedup: str | None = None) -> None:
    """One status message to the owner; `dedup` makes a retried call enqueue once."""
    kind = await owner_channel(session, openid=openid, fallback=fallback, now=now)
    await enqueue(session, kind=kind, community_id=community_id, dedup_key=dedup,
                  payload={"openid": openid, "text": text, "template": template, "ref": ref, "event": event})


async def tell_staff(session: AsyncSession, *, staff: StaffUser, community_id: int, text: str, ref: str,
                     dedup: str | None = None) -> bool:
    """A message to a staff member bound to WeChat; False when they are not bound (they see the back office)."""
    if not staff.wechat_openid or not staff.active:
        return False
    await enqueue(session, kind="wechat.text", community_id=community_id, dedup_key=dedup,
                  payload={"openid": staff.wechat_openid, "text": text, "template": "staff_task", "ref": ref})
    return True


async def managers_of(session: AsyncSession, *, community_id: int) -> list[StaffUser]:
    """Active project managers (项目经理) assigned to the community."""
    rows = await session.scalars(select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
                                 .where(StaffCommunity.community_id == community_id, StaffUser.role == Role.MANAGER,
                                        StaffUser.active.is_(True)).order_by(StaffUser.id))
    return list(rows)


async def tell_managers(session: AsyncSession, *, community_id: int, text: str, ref: str, dedup: str) -> int:
    """Notify every manager of the community bound to WeChat; returns how many were messaged."""
    told = 0
    for manager in await managers_of(session, community_id=community_id):
        told += await tell_staff(session, staff=manager, community_id=community_id, text=text, ref=ref,
                                 dedup=f"{dedup}:{manager.id}")
    return told
