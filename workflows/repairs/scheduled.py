"""Timers the worker runs periodically (linli.loops): SLA breaches notify the manager and are flagged on the ticket;
completed tickets nobody rated are closed after the reopen window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.complaints.scheduled import check_complaint_slas
from workflows.db import transaction
from workflows.outbox.notify import tell_managers
from workflows.repairs import messages as text
from workflows.repairs.models import OPEN_STATUSES, RepairStatus, RepairTicket
from workflows.repairs.service import DEFAULT_POLICY, SYSTEM, RepairPolicy, close
from workflows.statemachine import TransitionNotAllowed


@dataclass
class SlaSweep:
    respond_breaches: int = 0
    resolve_breaches: int = 0
    auto_closed: int = 0
    managers_told: int = 0


async def _flag(session: AsyncSession, ticket: RepairTicket, kind: str, now: datetime, sweep: SlaSweep) -> None:
    # A plain UPDATE, not the ORM: flagging must not bump the version a technician's accept is checked against.
    # Conditional on the flag being empty, so two workers running the timer flag and notify once.
    column = RepairTicket.respond_breached_at if kind == "respond" else RepairTicket.resolve_breached_at
    flagged = await session.execute(update(RepairTicket).where(RepairTicket.id == ticket.id, column.is_(None))
                                    .values({column.key: now}).execution_options(synchronize_session=False))
    if flagged.rowcount != 1:
        return
    if kind == "respond":
        sweep.respond_breaches += 1
        message = text.MANAGER_SLA_RESPOND
    else:
        sweep.resolve_breaches += 1
        message = text.MANAGER_SLA_RESOLVE
    record_event(session, entity_type="repair", entity_id=ticket.id, action=f"sla_{kind}_breached", actor="system",
                 community_id=ticket.community_id, data={"number": ticket.number})
    sweep.managers_told += await tell_managers(
        session, community_id=ticket.community_id, ref=ticket.number, dedup=f"repair:{ticket.id}:sla-{kind}",
        text=message.format(number=ticket.number, category=ticket.category))


async def check_repair_slas(session: AsyncSession, *, now: datetime | None = None,
                            policy: RepairPolicy = DEFAULT_POLICY) -> SlaSweep:
    """Flag new SLA breaches (once each) and auto-close unrated completed tickets past the reopen window."""
    now = now or utcnow()
    sweep = SlaSweep()
    respond = await session.scalars(select(RepairTicket).where(
        RepairTicket.status.in_(OPEN_STATUSES), RepairTicket.first_response_at.is_(None),
        RepairTicket.respond_breached_at.is_(None), RepairTicket.respond_by < now).limit(200))
    for ticket in list(respond):
        await _flag(session, ticket, "respond", now, sweep)
    resolve = await session.scalars(select(RepairTicket).where(
        RepairTicket.status.in_(OPEN_STATUSES), RepairTicket.resolve_breached_at.is_(None),
        RepairTicket.resolve_by < now).limit(200))
    for ticket in list(resolve):
        await _flag(session, ticket, "resolve", now, sweep)
    stale = await session.scalars(select(RepairTicket).where(
        RepairTicket.status.in_((RepairStatus.COMPLETED, RepairStatus.RATED)),
        RepairTicket.completed_at < now - timedelta(days=policy.reopen_days)).limit(200))
    for ticket in list(stale):
        try:
            async with session.begin_nested():  # another worker closing it first only skips this one
                await close(session, ticket=ticket, actor=SYSTEM, reason="auto-closed after the reopen window",
                            now=now)
        except TransitionNotAllowed:
            continue
        sweep.auto_closed += 1
    await session.flush()
    return sweep


async def run_repair_timers(sessions: async_sessionmaker[AsyncSession], policy: RepairPolicy = DEFAULT_POLICY,
                            ) -> dict[str, int]:
    """One pass of every repairs and complaints timer, each in its own transaction (the worker loop's step)."""
    async with transaction(sessions) as session:
        repairs = await check_repair_slas(session, policy=policy)
    async with transaction(sessions) as session:
        complaints = await check_complaint_slas(session)
    return {**repairs.__dict__, "complaint_breaches": complaints}
