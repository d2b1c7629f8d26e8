"""The only code that changes complaints: open (from the bot), assign, transitions from staff and from the owner's
answer in chat, comments. A complaint about a staff member never reaches that staff member."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import SYSTEM, Actor, ActorKind
from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.complaints.models import OPEN_COMPLAINT_STATUSES, Complaint, ComplaintNote, ComplaintStatus
from workflows.complaints.states import TRANSITIONS
from workflows.numbering import next_ticket_number
from workflows.outbox.notify import tell_owner, tell_staff
from workflows.repairs import messages as text
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.statemachine import TransitionNotAllowed, apply_transition

FIRST_RESPONSE = timedelta(hours=24)


class ComplaintChanged(TransitionNotAllowed):
    """Someone else changed the complaint first."""


class NotAllowedForStaff(TransitionNotAllowed):
    """The staff member may not handle this complaint (it is about them, or another community's)."""


async def _transition(session: AsyncSession, complaint: Complaint, action: str, actor: Actor, *, reason: str = "",
                      changes: dict[str, Any] | None = None) -> ComplaintStatus:
    """Apply the complaint table (the one place .status changes); a concurrent change raises ComplaintChanged."""
    return await apply_transition(session, complaint, table=TRANSITIONS, action=action, actor=actor,
                                  entity_type="complaint", conflict=ComplaintChanged, reason=reason, changes=changes)


async def handlers(session: AsyncSession, *, community_id: int, roles: tuple[Role, ...],
                   exclude: set[int]) -> list[StaffUser]:
    """Active staff of these roles in the community, least-loaded first, never the excluded ones."""
    staff = list(await session.scalars(select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
                                       .where(StaffCommunity.community_id == community_id, StaffUser.role.in_(roles),
                                              StaffUser.active.is_(True)).order_by(StaffUser.id)))
    staff = [s for s in staff if s.id not in exclude]
    if not staff:
        return []
    load = dict((await session.execute(select(Complaint.assignee_id, func.count()).where(
        Complaint.assignee_id.in_([s.id for s in staff]), Complaint.status.in_(OPEN_COMPLAINT_STATUSES))
        .group_by(Complaint.assignee_id))).all())
    return sorted(staff, key=lambda s: (load.get(s.id, 0), s.id))


def _excluded(complaint: Complaint) -> set[int]:
    return {complaint.about_staff_id} if complaint.about_staff_id else set()


async def complaint_by_submission(session: AsyncSession, *, submission_key: str) -> Complaint | None:
    return await session.scalar(select(Complaint).where(Complaint.submission_key == submission_key))


async def find_staff_by_name(session: AsyncSession, *, community_id: int, name: str) -> StaffUser | None:
    """The staff member an owner names (王师傅, 小林), within the community."""
    name = name.strip()
    if not name:
        return None
    for staff in await session.scalars(select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
                                       .where(StaffCommunity.community_id == community_id)):
        label = staff.display_name.split("（")[0]
        if name in staff.display_name or label in name:
            return staff
    return None


async def open_complaint(session: AsyncSession, *, community_id: int, openid: str, category: str, description: str,
                         household_id: int | None = None, resident_id: int | None = None,
                         building_id: int | None = None, photos: list[str] | None = None, anonymous: bool = False,
                         about_staff_id: int | None = None, about_staff_text: str = "",
                         submission_key: str | None = None, now: datetime | None = None) -> Complaint:
    """Record a complaint (TS-number, 24 h first-response target) and assign it to front desk, never its subject."""
    if submission_key is not None:
        existing = await complaint_by_submission(session, submission_key=submission_key)
        if existing is not None:
            return existing
    now = now or utcnow()
    # Allocated before the savepoint so that it is nested in an open transaction on SQLite too (see repairs).
    number = await next_ticket_number(session, community_id=community_id, prefix="TS", at=now)
    try:
        async with session.begin_nested():
            complaint = Complaint(
                number=number, community_id=community_id, openid=openid, household_id=household_id,
                resident_id=resident_id,
                building_id=building_id, category=category, description=description[:2000],
                photos=list(photos or []), anonymous=anonymous, about_staff_id=about_staff_id,
                about_staff_text=about_staff_text[:50], respond_by=now + FIRST_RESPONSE,
                submission_key=submission_key, created_at=now, updated_at=now)
            session.add(complaint)
            await session.flush()
    except IntegrityError:
        existing = await complaint_by_submission(session, submission_key=submission_key) if submission_key else None
        if existing is None:
            raise
        return existing
    record_event(session, entity_type="complaint", entity_id=complaint.id, action="open", actor=Actor.owner(openid),
                 community_id=community_id, to_state=complaint.status,
                 data={"number": complaint.number, "anonymous": anonymous, "about_staff": about_staff_id})
    candidates = await handlers(session, community_id=community_id, roles=(Role.FRONT_DESK,),
                                exclude=_excluded(complaint)) or await handlers(
        session, community_id=community_id, roles=(Role.MANAGER,), exclude=_excluded(complaint))
    if candidates:
        await assign(session, complaint=complaint, actor=SYSTEM, staff=candidates[0])
    return complaint


async def assign(session: AsyncSession, *, complaint: Complaint, actor: Actor, staff: StaffUser) -> Complaint:
    """Give the complaint to a staff member of its community; never to the staff member it is about."""
    if staff.id == complaint.about_staff_id:
        raise NotAllowedForStaff("a complaint never goes to the staff member it is about",
                                 current=complaint.status.value, action="assign")
    if staff.role != Role.ADMIN and complaint.community_id not in staff.community_ids:
        raise NotAllowedForStaff("another community", current=complaint.status.value, action="assign")
    previous = complaint.assignee_id
    complaint.assignee_id = staff.id
    await session.flush()
    record_event(session, entity_type="complaint", entity_id=complaint.id, action="assign", actor=actor,
                 community_id=complaint.community_id, data={"assignee": staff.id, "previous": previous})
    await tell_staff(session, staff=staff, community_id=complaint.community_id, ref=complaint.number,
                     dedup=f"complaint:{complaint.id}:assigned:{staff.id}:{complaint.version}",
                     text=text.COMPLAINT_RECEIVED_STAFF.format(number=complaint.number, category=complaint.category,
                                                              description=complaint.description[:80]))
    return complaint


def may_handle(complaint: Complaint, staff: StaffUser) -> bool:
    """Staff of the complaint's community (admins everywhere), except the person it is about."""
    if staff.id == complaint.about_staff_id:
        return False
    return staff.role == Role.ADMIN or complaint.community_id in staff.community_ids


async def _check_staff(session: AsyncSession, complaint: Complaint, actor: Actor, action: str) -> None:
    if actor.role in ("owner", "system"):
        return
    staff = await session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    if staff is None or not may_handle(complaint, staff):
        raise NotAllowedForStaff(f"may not {action}", current=complaint.status.value, action=action)


async def start(session: AsyncSession, *, complaint: Complaint, actor: Actor, now: datetime | None = None) -> Complaint:
    await _check_staff(session, complaint, actor, "start")
    changes = {} if complaint.first_response_at else {"first_response_at": now or utcnow()}
    await _transition(session, complaint, "start", actor, changes=changes)
    return complaint


async def reply(session: AsyncSession, *, complaint: Complaint, actor: Actor, body: str,
                now: datetime | None = None) -> Complaint:
    """回复业主: the answer goes to the owner with the choice 满意 / 不满意."""
    await _check_staff(session, complaint, actor, "reply")
    now = now or utcnow()
    changes: dict[str, Any] = {"reply": body[:2000], "replied_at": now}
    if complaint.first_response_at is None:
        changes["first_response_at"] = now
    await _transition(session, complaint, "reply", actor, reason=body[:500], changes=changes)
    session.add(ComplaintNote(complaint_id=complaint.id, kind="reply", author=actor.audit_name,
                              staff_id=actor.staff_id, body=body[:2000], created_at=now))
    await tell_owner(session, openid=complaint.openid, community_id=complaint.community_id, ref=complaint.number,
                     event="replied", template="complaint_reply", now=now,
                     dedup=f"complaint:{complaint.id}:reply:{complaint.version}",
                     text=text.COMPLAINT_REPLIED.format(number=complaint.number, reply=body[:300]))
    return complaint


def _check_owner(complaint: Complaint, actor: Actor, action: str) -> None:
    if actor.kind != ActorKind.OWNER or actor.openid != complaint.openid:
        raise NotAllowedForStaff("not the complaining owner", current=complaint.status.value, action=action)


async def confirm(session: AsyncSession, *, complaint: Complaint, actor: Actor, now: datetime | None = None,
                  ) -> Complaint:
    """业主确认解决, then closed."""
    _check_owner(complaint, actor, "confirm")
    now = now or utcnow()
    await _transition(session, complaint, "confirm", actor, changes={"resolved_at": now})
    await _transition(session, complaint, "close", SYSTEM, changes={"closed_at": now})
    await tell_owner(session, openid=complaint.openid, community_id=complaint.community_id, ref=complaint.number,
                     event="closed", template="complaint_status", now=now, dedup=f"complaint:{complaint.id}:closed",
                     text=text.COMPLAINT_CLOSED.format(number=complaint.number))
    return complaint


async def reject(session: AsyncSession, *, complaint: Complaint, actor: Actor, feedback: str = "",
                 now: datetime | None = None) -> Complaint:
    """不满意: escalates to the project manager (never the staff member it is about)."""
    _check_owner(complaint, actor, "reject")
    now = now or utcnow()
    await _transition(session, complaint, "reject", actor, reason=feedback)
    if feedback:
        session.add(ComplaintNote(complaint_id=complaint.id, kind="owner_feedback", author=actor.audit_name,
                                  body=feedback[:2000], created_at=now))
    # The owner said it in chat and hears the answer there: no second, near-identical message through the outbox.
    return await escalate(session, complaint=complaint, actor=SYSTEM, reason="owner unsatisfied", now=now,
                          tell_the_owner=False)


async def escalate(session: AsyncSession, *, complaint: Complaint, actor: Actor, reason: str = "",
                   now: datetime | None = None, tell_the_owner: bool = True) -> Complaint:
    """升级: a manager of the community takes it over and is told; the owner hears who follows up."""
    await _check_staff(session, complaint, actor, "escalate")
    now = now or utcnow()
    managers = await handlers(session, community_id=complaint.community_id, roles=(Role.MANAGER,),
                              exclude=_excluded(complaint)) or await handlers(
        session, community_id=complaint.community_id, roles=(Role.ADMIN,), exclude=_excluded(complaint))
    manager = managers[0] if managers else None
    changes: dict[str, Any] = {"escalated_at": now}
    if manager is not None:
        changes["assignee_id"] = manager.id
    await _transition(session, complaint, "escalate", actor, reason=reason, changes=changes)
    if manager is not None:
        await tell_staff(session, staff=manager, community_id=complaint.community_id, ref=complaint.number,
                         dedup=f"complaint:{complaint.id}:escalated:{complaint.version}",
                         text=text.COMPLAINT_ESCALATED_MANAGER.format(number=complaint.number,
                                                                      category=complaint.category))
    if tell_the_owner:
        await tell_owner(session, openid=complaint.openid, community_id=complaint.community_id, ref=complaint.number,
                         event="escalated", template="complaint_status", now=now,
                         dedup=f"complaint:{complaint.id}:escalated-owner:{complaint.version}",
                         text=text.COMPLAINT_ESCALATED_OWNER.format(
                             number=complaint.number, manager=manager.display_name if manager else ""))
    return complaint


async def close(session: AsyncSession, *, complaint: Complaint, actor: Actor, reason: str = "",
                now: datetime | None = None) -> Complaint:
    await _check_staff(session, complaint, actor, "close")
    await _transition(session, complaint, "close", actor, reason=reason, changes={"closed_at": now or utcnow()})
    return complaint


async def comment(session: AsyncSession, *, complaint: Complaint, actor: Actor, body: str,
                  now: datetime | None = None) -> ComplaintNote:
    """An internal note on the timeline (not sent to the owner)."""
    await _check_staff(session, complaint, actor, "comment")
    note = ComplaintNote(complaint_id=complaint.id, kind="comment", author=actor.audit_name, staff_id=actor.staff_id,
                         body=body[:2000], created_at=now or utcnow())
    session.add(note)
    await session.flush()
    record_event(session, entity_type="complaint", entity_id=complaint.id, action="comment", actor=actor,
                 community_id=complaint.community_id, reason=body[:500])
    return note


async def perform(session: AsyncSession, *, complaint: Complaint, action: str, actor: Actor,
                  note: str = "") -> Complaint:
    """One entry for the back office's transition buttons."""
    if action == "start":
        return await start(session, complaint=complaint, actor=actor)
    if action == "reply":
        if not note.strip():
            raise ValueError("a reply needs text")
        return await reply(session, complaint=complaint, actor=actor, body=note)
    if action == "escalate":
        return await escalate(session, complaint=complaint, actor=actor, reason=note)
    if action == "close":
        return await close(session, complaint=complaint, actor=actor, reason=note)
    raise TransitionNotAllowed(f"unknown action {action}", current=complaint.status.value, action=action)
