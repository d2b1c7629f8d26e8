"""The only code that changes escalations: open (from the bot), claim, reply, release, resolve (from staff), each
through the table in states.py and workflows.statemachine.apply_transition. The row has a version: of two staff
claiming one escalation at once, one wins and the other gets EscalationTaken."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor
from workflows.audit.service import record_event
from workflows.clock import as_utc, utcnow
from workflows.escalations.models import Escalation, EscalationReason, EscalationReply, EscalationStatus
from workflows.escalations.states import TRANSITIONS
from workflows.messages.service import recent_transcript
from workflows.numbering import next_ticket_number
from workflows.outbox.notify import WECHAT_WINDOW
from workflows.outbox.service import enqueue
from workflows.statemachine import TransitionNotAllowed, apply_transition

__all__ = ["Actor", "EscalationTaken", "claim", "open_escalation", "release", "reply", "resolve",
           "within_wechat_window"]  # Actor: workflows.access.Actor, re-exported for older imports


async def open_escalation(session: AsyncSession, *, community_id: int, openid: str, reason: EscalationReason,
                          question: str) -> Escalation:
    """Hand the owner to a person; an owner with an escalation still open gets that one, with the new question."""
    existing = await session.scalar(select(Escalation).where(
        Escalation.openid == openid, Escalation.community_id == community_id,
        Escalation.status != EscalationStatus.RESOLVED).order_by(Escalation.id.desc()))
    transcript = [{"direction": m.direction, "content": m.content, "at": m.created_at.isoformat()}
                  for m in await recent_transcript(session, openid=openid)]
    now = utcnow()
    if existing is not None:
        # A plain UPDATE (no version check): the owner writing again never conflicts with a staff member's claim.
        await session.execute(update(Escalation).where(Escalation.id == existing.id).values(
            question=f"{existing.question}\n{question}".strip()[-4000:], transcript=transcript,
            last_owner_message_at=now))
        return existing
    escalation = Escalation(
        number=await next_ticket_number(session, community_id=community_id, prefix="RG"),
        community_id=community_id, openid=openid, reason=reason, question=question[:4000],
        transcript=transcript, last_owner_message_at=now)
    session.add(escalation)
    await session.flush()
    record_event(session, entity_type="escalation", entity_id=escalation.id, action="open", actor=Actor.owner(openid),
                 community_id=community_id, to_state=EscalationStatus.OPEN, reason=reason)
    return escalation


async def hand_over(session: AsyncSession, *, community_id: int, openid: str, reason: EscalationReason,
                    question: str) -> str:
    """`open_escalation` as chat needs it: the sayable number (RG-20261125-0001) of the owner's open escalation."""
    escalation = await open_escalation(session, community_id=community_id, openid=openid, reason=reason,
                                       question=question)
    return escalation.number


class EscalationTaken(TransitionNotAllowed):
    """Another staff member claimed or changed the escalation first: reload and tell the actor."""


async def _transition(session: AsyncSession, escalation: Escalation, action: str, actor: Actor, *,
                      reason: str = "", changes: dict | None = None) -> None:
    if actor.is_staff and not actor.serves(escalation.community_id):
        raise TransitionNotAllowed("another community", current=escalation.status.value, action=action)
    await apply_transition(session, escalation, table=TRANSITIONS, action=action, actor=actor,
                           entity_type="escalation", conflict=EscalationTaken, reason=reason, changes=changes)


async def claim(session: AsyncSession, *, escalation: Escalation, actor: Actor) -> Escalation:
    """A staff member takes the escalation; if someone already has it, EscalationTaken."""
    if escalation.status == EscalationStatus.CLAIMED and escalation.claimed_by != actor.staff_id:
        raise EscalationTaken(f"{escalation.number} already claimed", current=escalation.status.value,
                              action="claim")
    await _transition(session, escalation, "claim", actor, changes={"claimed_by": actor.staff_id})
    return escalation


async def release(session: AsyncSession, *, escalation: Escalation, actor: Actor) -> Escalation:
    await _transition(session, escalation, "release", actor, changes={"claimed_by": None})
    return escalation


def within_wechat_window(escalation: Escalation) -> bool:
    """Customer-service messages reach the owner only within 48 hours of their last message."""
    last = escalation.last_owner_message_at or escalation.created_at
    return utcnow() - as_utc(last) < WECHAT_WINDOW


async def reply(session: AsyncSession, *, escalation: Escalation, actor: Actor, body: str,
                as_template: bool = False) -> EscalationReply:
    """Answer the owner: the reply row, the state change and the outbox row in one transaction."""
    now = utcnow()
    changes: dict = {}
    if escalation.claimed_by is None:
        changes["claimed_by"] = actor.staff_id
    if escalation.first_response_at is None:
        changes["first_response_at"] = now
    await _transition(session, escalation, "reply", actor, changes=changes)
    row = EscalationReply(escalation_id=escalation.id, staff_id=actor.staff_id, body=body,
                          channel="template" if as_template else "custom", created_at=now)
    session.add(row)
    await session.flush()
    kind = "wechat.template" if as_template else "wechat.text"
    await enqueue(session, kind=kind, community_id=escalation.community_id, dedup_key=f"escalation-reply:{row.id}",
                  payload={"openid": escalation.openid, "text": body, "template": "service_reply",
                           "ref": escalation.number})
    return row


async def resolve(session: AsyncSession, *, escalation: Escalation, actor: Actor, note: str = "") -> Escalation:
    await _transition(session, escalation, "resolve", actor, reason=note, changes={"resolved_at": utcnow()})
    return escalation


async def open_escalation_of(session: AsyncSession, *, community_id: int, openid: str) -> str | None:
    """The number of the owner's escalation that is not resolved yet, or None (the bot never offers a second one)."""
    return await session.scalar(select(Escalation.number).where(
        Escalation.openid == openid, Escalation.community_id == community_id,
        Escalation.status != EscalationStatus.RESOLVED).order_by(Escalation.id.desc()).limit(1))
