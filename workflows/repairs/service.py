"""The only code that changes repair rows: open (from the bot), add details instead of a duplicate, and every
transition of the state machine in states.py, each with its audit row and outbox rows in the caller's transaction.

Actors are workflows.access.Actor: staff (Actor.of_staff), the reporting owner (Actor.owner(openid)) or the timers
(SYSTEM); workflows.access.allowed_actions says which buttons a staff member sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import SYSTEM, Actor, ActorKind
from workflows.audit.service import record_event
from workflows.clock import as_utc, utcnow
from workflows.numbering import next_ticket_number
from workflows.outbox.notify import tell_staff
from workflows.repairs import messages as text
from workflows.repairs.dispatch import category_spec, choose_technician, may_take
from workflows.repairs.duplicates import find_open_duplicate
from workflows.repairs.models import (
    DuplicatePrevented,
    Priority,
    RepairNote,
    RepairStatus,
    RepairTicket,
    Reporter,
)
from workflows.repairs.notices import community_phone, staff_by_id, technician_name, tell_reporter, tell_technician
from workflows.repairs.sla import priority_for, sla_targets
from workflows.repairs.states import TRANSITIONS
from workflows.staff.models import Role, StaffUser
from workflows.statemachine import TransitionNotAllowed, apply_transition

DESCRIPTION_LIMIT = 2000


@dataclass(frozen=True)
class RepairPolicy:
    """How a deployment runs repairs: reopen window (days after completion) and whether owners hear status."""

    reopen_days: int = 7
    notify_owner: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> RepairPolicy:
        return cls(reopen_days=getattr(settings, "repair_reopen_days", 7))


DEFAULT_POLICY = RepairPolicy()


class TicketTaken(TransitionNotAllowed):
    """Someone else changed the order first (another technician accepted it): reload and tell the actor."""


class NotYourTicket(TransitionNotAllowed):
    """The actor may not touch this order (another owner's ticket, another community, another group)."""


def owner_actor(openid: str) -> Actor:
    return Actor.owner(openid)


def staff_actor(staff: StaffUser) -> Actor:
    return Actor.of_staff(staff)


async def _transition(session: AsyncSession, ticket: RepairTicket, action: str, actor: Actor, *,
                      reason: str = "", changes: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                      ) -> RepairStatus:
    """Apply the repair table (the one place .status changes); a concurrent change raises TicketTaken."""
    return await apply_transition(session, ticket, table=TRANSITIONS, action=action, actor=actor,
                                  entity_type="repair", conflict=TicketTaken, reason=reason, changes=changes,
                                  data=data)


async def _tell_owner(session: AsyncSession, ticket: RepairTicket, message: str, event: str,
                      policy: RepairPolicy, now: datetime | None) -> None:
    if policy.notify_owner:
        await tell_reporter(session, ticket, message, event, now)


async def ticket_by_submission(session: AsyncSession, *, submission_key: str) -> RepairTicket | None:
    return await session.scalar(select(RepairTicket).where(RepairTicket.submission_key == submission_key))


async def open_repair(session: AsyncSession, *, community_id: int, openid: str, category: str, description: str,
                      household_id: int | None = None, resident_id: int | None = None,
                      building_id: int | None = None, public_area: bool = False, location_text: str = "",
                      latitude: float | None = None, longitude: float | None = None, photos: list[str] | None = None,
                      preferred_from: datetime | None = None, preferred_to: datetime | None = None,
                      contact_phone: str = "", submission_key: str | None = None, duplicate_of_id: int | None = None,
                      now: datetime | None = None, auto_dispatch: bool = True,
                      priority: Priority | None = None, urgent: bool = False,
                      reporter: Reporter = Reporter.OWNER) -> RepairTicket:
    """Create a ticket (numbered, SLA set) and dispatch it; the same submission_key twice gives the same ticket.
    `priority` overrides the one read from the words (an alarm is urgent whatever it says); `urgent`: the owner said
    so (赶紧、水漫出来) even when no urgent word of the category matched. `reporter=Reporter.SYSTEM` (an alarm):
    `openid` names the sensor and no owner notice is ever written for it."""
    if submission_key is not None:
        existing = await ticket_by_submission(session, submission_key=submission_key)
        if existing is not None:
            return existing
    now = now or utcnow()
    spec = await category_spec(session, community_id=community_id, category=category)
    priority = priority or (Priority.URGENT if urgent else priority_for(category, description))
    respond_by, resolve_by = sla_targets(created_at=now, priority=priority, resolve_hours=spec.resolve_hours)
    # The number is allocated first: its upsert opens the transaction, so on SQLite the savepoint below is nested in
    # it (a SAVEPOINT opening the transaction would commit at its RELEASE). A lost race only skips a number.
    number = await next_ticket_number(session, community_id=community_id, prefix="BX", at=now)
    try:
        async with session.begin_nested():
            ticket = RepairTicket(
                number=number, community_id=community_id, openid=openid, reporter=reporter, resident_id=resident_id,
                household_id=household_id,
                building_id=building_id, public_area=public_area, location_text=location_text[:200],
                latitude=latitude, longitude=longitude, category=category, priority=priority,
                description=description[:DESCRIPTION_LIMIT], photos=list(photos or []),
                preferred_from=preferred_from, preferred_to=preferred_to, contact_phone=contact_phone,
                respond_by=respond_by, resolve_by=resolve_by, duplicate_of_id=duplicate_of_id,
                submission_key=submission_key, created_at=now, updated_at=now)
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        if submission_key is None:
            raise
        existing = await ticket_by_submission(session, submission_key=submission_key)
        if existing is None:
            raise
        return existing
    record_event(session, entity_type="repair", entity_id=ticket.id, action="open",
                 actor=Actor.owner(openid) if reporter == Reporter.OWNER else openid,
                 community_id=community_id, to_state=ticket.status,
                 data={"number": ticket.number, "priority": priority.value, "duplicate_of": duplicate_of_id})
    if auto_dispatch:
        technician = await choose_technician(session, community_id=community_id, category=category)
        if technician is not None:
            await assign(session, ticket=ticket, actor=SYSTEM, technician=technician, now=now)
    return ticket


async def add_details(session: AsyncSession, *, ticket: RepairTicket, openid: str, description: str = "",
                      photos: list[str] | None = None, household_id: int | None = None, match: str = "same_household",
                      submission_key: str | None = None, now: datetime | None = None,
                      policy: RepairPolicy = DEFAULT_POLICY) -> DuplicatePrevented:
    """The owner adds the new details to an open ticket instead of opening a duplicate (补充到已有工单)."""
    if submission_key is not None:
        done = await session.scalar(select(DuplicatePrevented).where(
            DuplicatePrevented.submission_key == submission_key))
        if done is not None:
            return done
    now = now or utcnow()
    row = DuplicatePrevented(community_id=ticket.community_id, kind="repair", ticket_id=ticket.id, openid=openid,
                             household_id=household_id, category=ticket.category, match=match,
                             submission_key=submission_key, created_at=now)
    session.add(row)
    session.add(RepairNote(ticket_id=ticket.id, kind="owner_detail", author=f"owner:{openid}",
                           body=description[:DESCRIPTION_LIMIT], photos=list(photos or []), created_at=now))
    if photos:
        ticket.photos = [*ticket.photos, *photos]
    await session.flush()
    record_event(session, entity_type="repair", entity_id=ticket.id, action="owner_detail", actor=Actor.owner(openid),
                 community_id=ticket.community_id, reason=description[:500],
                 data={"number": ticket.number, "duplicate_prevented": row.id, "match": match})
    technician = await staff_by_id(session, ticket.assignee_id)
    if technician is not None:
        await tell_staff(session, staff=technician, community_id=ticket.community_id, ref=ticket.number,
                         text=text.TECH_OWNER_DETAIL.format(number=ticket.number, text=description[:200]),
                         dedup=f"repair:{ticket.id}:detail:{row.id}")
    return row


async def assign(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, technician: StaffUser,
                 now: datetime | None = None, reason: str = "") -> RepairTicket:
    """派单 / 改派 to a technician of the ticket's community; the technician hears it in WeChat if bound."""
    if technician.role != Role.TECHNICIAN or ticket.community_id not in technician.community_ids:
        raise NotYourTicket(f"{technician.username} cannot take {ticket.number}", current=ticket.status.value,
                            action="assign")
    action = "assign" if ticket.status == RepairStatus.PENDING_DISPATCH else "reassign"
    previous = ticket.assignee_id
    await _transition(session, ticket, action, actor, reason=reason, changes={"assignee_id": technician.id},
                      data={"technician": technician.id, "previous": previous})
    await tell_technician(session, ticket, technician)
    return ticket


async def _check_technician(session: AsyncSession, ticket: RepairTicket, actor: Actor, action: str) -> None:
    """Technicians act on their own orders (accept: also their group's); managers/admins on their communities'."""
    staff = await staff_by_id(session, actor.staff_id)
    if staff is None:
        raise NotYourTicket("unknown staff", current=ticket.status.value, action=action)
    allowed = (staff.role == Role.ADMIN or ticket.community_id in staff.community_ids)
    if allowed and staff.role == Role.TECHNICIAN:
        allowed = ticket.assignee_id == staff.id or (
            action == "accept" and await may_take(session, staff=staff, ticket=ticket))
    if not allowed:
        raise NotYourTicket(f"{staff.username} may not {action} {ticket.number}", current=ticket.status.value,
                            action=action)


async def accept(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, now: datetime | None = None,
                 policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """接单: the first technician wins; a second one gets TicketTaken (the row's version changed)."""
    if ticket.status in (RepairStatus.ACCEPTED, RepairStatus.IN_PROGRESS, RepairStatus.AWAITING_PARTS):
        raise TicketTaken(f"{ticket.number} already accepted", current=ticket.status.value, action="accept")
    await _check_technician(session, ticket, actor, "accept")
    now = now or utcnow()
    changes: dict[str, Any] = {"assignee_id": actor.staff_id}
    if ticket.first_response_at is None:
        changes["first_response_at"] = now
    await _transition(session, ticket, "accept", actor, changes=changes)
    technician = await staff_by_id(session, actor.staff_id)
    await _tell_owner(session, ticket, text.OWNER_ACCEPTED.format(
        number=ticket.number, technician=technician_name(technician),
        phone=technician.phone if technician and technician.phone else await community_phone(session, ticket)),
        "accepted", policy, now)
    return ticket


async def decline(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, reason: str = "",
                  now: datetime | None = None) -> RepairTicket:
    """退单: back to 待派单, then dispatched to the next least-loaded technician if there is one."""
    await _check_technician(session, ticket, actor, "decline")
    await _transition(session, ticket, "decline", actor, reason=reason, changes={"assignee_id": None})
    other = await choose_technician(session, community_id=ticket.community_id, category=ticket.category,
                                    exclude={actor.staff_id} if actor.staff_id else set())
    if other is not None:
        await assign(session, ticket=ticket, actor=SYSTEM, technician=other, now=now)
    return ticket


async def start(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, now: datetime | None = None,
                policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """出发上门: the owner hears the technician is on the way."""
    await _check_technician(session, ticket, actor, "start")
    await _transition(session, ticket, "start", actor)
    technician = await staff_by_id(session, ticket.assignee_id)
    await _tell_owner(session, ticket, text.OWNER_ON_THE_WAY.format(
        number=ticket.number, technician=technician_name(technician)), "on_the_way", policy, now)
    return ticket


async def wait_for_parts(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, note: str = "",
                         now: datetime | None = None, policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    await _check_technician(session, ticket, actor, "wait_parts")
    await _transition(session, ticket, "wait_parts", actor, reason=note)
    await _tell_owner(session, ticket, text.OWNER_WAITING_PARTS.format(number=ticket.number, note=note[:100]),
                      "waiting_parts", policy, now)
    return ticket


async def resume(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, note: str = "",
                 now: datetime | None = None, policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """配件到了: work goes on, and the owner hears it."""
    await _check_technician(session, ticket, actor, "resume")
    await _transition(session, ticket, "resume", actor, reason=note)
    await _tell_owner(session, ticket, text.OWNER_RESUMED.format(number=ticket.number), "resumed", policy, now)
    return ticket


async def complete(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, note: str = "",
                   photos: list[str] | None = None, now: datetime | None = None,
                   policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """完工: the owner is asked to rate (1–5) or reopen."""
    await _check_technician(session, ticket, actor, "complete")
    now = now or utcnow()
    await _transition(session, ticket, "complete", actor, reason=note, changes={"completed_at": now})
    if note or photos:
        session.add(RepairNote(ticket_id=ticket.id, kind="update", author=actor.audit_name, staff_id=actor.staff_id,
                               body=note, photos=list(photos or []), created_at=now))
    await _tell_owner(session, ticket, text.OWNER_COMPLETED.format(number=ticket.number), "completed", policy, now)
    return ticket


def _check_owner(ticket: RepairTicket, actor: Actor, action: str) -> None:
    if actor.kind == ActorKind.OWNER and actor.openid != ticket.openid:
        raise NotYourTicket("not the reporting owner", current=ticket.status.value, action=action)


async def rate(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, rating: int, comment: str = "",
               now: datetime | None = None) -> RepairTicket:
    """评价 1–5 with an optional comment, by the owner who reported it."""
    if not 1 <= rating <= 5:
        raise ValueError("rating is 1..5")
    _check_owner(ticket, actor, "rate")
    now = now or utcnow()
    await _transition(session, ticket, "rate", actor, reason=comment[:500],
                      changes={"rating": rating, "rating_comment": comment[:500], "rated_at": now},
                      data={"rating": rating})
    return ticket


def may_reopen(ticket: RepairTicket, policy: RepairPolicy = DEFAULT_POLICY, now: datetime | None = None) -> bool:
    """Within N days (policy.reopen_days) of completion."""
    if ticket.completed_at is None:
        return False
    return (now or utcnow()) - as_utc(ticket.completed_at) <= timedelta(days=policy.reopen_days)


async def reopen(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, reason: str = "",
                 now: datetime | None = None, policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """重新打开 (not fixed): back to 待派单 and to the same technician when possible."""
    _check_owner(ticket, actor, "reopen")
    if not may_reopen(ticket, policy, now):
        raise TransitionNotAllowed(f"{ticket.number} was completed more than {policy.reopen_days} days ago",
                                   current=ticket.status.value, action="reopen")
    now = now or utcnow()
    previous = await staff_by_id(session, ticket.assignee_id)
    await _transition(session, ticket, "reopen", actor, reason=reason, changes={
        "reopen_count": ticket.reopen_count + 1, "completed_at": None, "closed_at": None, "rating": None,
        "rated_at": None, "resolve_breached_at": None})
    await _tell_owner(session, ticket, text.OWNER_REOPENED.format(number=ticket.number), "reopened", policy, now)
    technician = previous if previous is not None and previous.active else await choose_technician(
        session, community_id=ticket.community_id, category=ticket.category)
    if technician is not None:
        await assign(session, ticket=ticket, actor=SYSTEM, technician=technician, now=now, reason="reopened")
    return ticket


async def cancel(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, reason: str = "",
                 now: datetime | None = None, policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    _check_owner(ticket, actor, "cancel")
    now = now or utcnow()
    await _transition(session, ticket, "cancel", actor, reason=reason, changes={"closed_at": now})
    if actor.role != "owner":
        await _tell_owner(session, ticket, text.OWNER_CANCELLED.format(number=ticket.number, note=reason[:100]),
                          "cancelled", policy, now)
    return ticket


async def close(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, reason: str = "",
                now: datetime | None = None) -> RepairTicket:
    await _transition(session, ticket, "close", actor, reason=reason, changes={"closed_at": now or utcnow()})
    return ticket


async def comment(session: AsyncSession, *, ticket: RepairTicket, actor: Actor, body: str,
                  photos: list[str] | None = None, now: datetime | None = None) -> RepairNote:
    """A staff comment or technician update (with photos) on the timeline; no state change."""
    note = RepairNote(ticket_id=ticket.id, kind="update" if actor.role == Role.TECHNICIAN else "comment",
                      author=actor.audit_name, staff_id=actor.staff_id, body=body[:DESCRIPTION_LIMIT],
                      photos=list(photos or []), created_at=now or utcnow())
    session.add(note)
    if photos:
        ticket.photos = [*ticket.photos, *photos]
    await session.flush()
    record_event(session, entity_type="repair", entity_id=ticket.id, action="comment", actor=actor,
                 community_id=ticket.community_id, reason=body[:500], data={"photos": len(photos or [])})
    return note


STAFF_ACTIONS = {"accept": accept, "decline": decline, "start": start, "wait_parts": wait_for_parts,
                 "resume": resume, "complete": complete, "close": close, "cancel": cancel, "reopen": reopen}


async def perform(session: AsyncSession, *, ticket: RepairTicket, action: str, actor: Actor, note: str = "",
                  policy: RepairPolicy = DEFAULT_POLICY) -> RepairTicket:
    """One entry for the back office's transition buttons and the technicians' chat commands."""
    handler = STAFF_ACTIONS.get(action)
    if handler is None:
        raise TransitionNotAllowed(f"unknown action {action}", current=ticket.status.value, action=action)
    kwargs: dict[str, Any] = {"ticket": ticket, "actor": actor}
    if action in ("decline", "cancel", "close", "reopen"):
        kwargs["reason"] = note
    elif action in ("wait_parts", "resume", "complete"):
        kwargs["note"] = note
    if action in ("accept", "start", "wait_parts", "resume", "complete", "reopen", "cancel"):
        kwargs["policy"] = policy
    return await handler(session, **kwargs)


async def find_duplicate(session: AsyncSession, **criteria: Any) -> tuple[RepairTicket, str] | None:
    """The open ticket a submission would repeat (see workflows/repairs/duplicates.py)."""
    return await find_open_duplicate(session, **criteria)
