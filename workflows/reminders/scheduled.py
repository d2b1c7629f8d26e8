"""The scheduled 催缴 job, run by `linli worker` like the daily backup (a Loop every few minutes): for each community,
outside its quiet hours, the first worker to claim (community, local day) in reminder_runs reminds the households
that owe past their due date. A rerun of the same day — a second worker, a restart after a crash — sends nothing
twice: every household's reminder is unique per (household, reminder key)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from workflows.clock import as_utc, utcnow
from workflows.community.models import Community
from workflows.db import transaction
from workflows.reminders.models import ReminderRun
from workflows.reminders.service import BATCH, load_policy, overdue_households, remind_households

log = logging.getLogger("linli.reminders")

STALE_RUN = timedelta(minutes=30)  # a run still "running" after this is taken over (its worker died)


@dataclass(frozen=True)
class RunOutcome:
    community_id: int
    key: str
    reminded: int


async def _claim(sessions: async_sessionmaker[AsyncSession], community_id: int, key: str,
                 now: datetime) -> int | None:
    """The run row for (community, day) if this worker may run it: new, or abandoned by a dead worker. Looked up
    first, so the minutes after the day's run cost one read, not a failed insert."""
    async with transaction(sessions) as session:
        run = await session.scalar(select(ReminderRun).where(ReminderRun.community_id == community_id,
                                                             ReminderRun.reminder_key == key))
        if run is not None:
            if run.status == "done" or now - as_utc(run.started_at) < STALE_RUN:
                return None
            taken = await session.execute(update(ReminderRun).where(
                ReminderRun.id == run.id, ReminderRun.started_at == run.started_at).values(started_at=now))
            return run.id if taken.rowcount == 1 else None
    try:
        async with transaction(sessions) as session:
            run = ReminderRun(community_id=community_id, reminder_key=key, started_at=now)
            session.add(run)
            await session.flush()
            return run.id
    except IntegrityError:  # another worker claimed it between the look-up and the insert
        return None


async def remind_community(sessions: async_sessionmaker[AsyncSession], *, community_id: int,
                           now: datetime | None = None) -> RunOutcome | None:
    """One community's reminders for its local day; None when disabled, in quiet hours or already claimed."""
    now = now or utcnow()
    async with sessions() as session:
        policy = await load_policy(session, community_id=community_id)
    if not policy.enabled or policy.is_quiet(now):
        return None
    today = now.astimezone(policy.tz).date()
    key = today.isoformat()
    run_id = await _claim(sessions, community_id, key, now)
    if run_id is None:
        return None
    async with sessions() as session:
        household_ids = await overdue_households(session, community_id=community_id, today=today)
    reminded = 0
    for start in range(0, len(household_ids), BATCH):
        async with transaction(sessions) as session:
            reminded += await remind_households(session, community_id=community_id, key=key, today=today,
                                                household_ids=household_ids[start:start + BATCH],
                                                interval_days=policy.interval_days, now=now, quiet=policy.quiet)
    async with transaction(sessions) as session:
        run = await session.get(ReminderRun, run_id)
        run.status, run.finished_at, run.households = "done", utcnow(), run.households + reminded
    if reminded:
        log.info("reminded %s households of community %s (%s)", reminded, community_id, key)
    return RunOutcome(community_id, key, reminded)


async def run_scheduled_reminders(sessions: async_sessionmaker[AsyncSession], *,
                                  now: datetime | None = None) -> list[RunOutcome]:
    """One worker loop step over every community."""
    async with sessions() as session:
        community_ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
    outcomes = []
    for community_id in community_ids:
        outcome = await remind_community(sessions, community_id=community_id, now=now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
