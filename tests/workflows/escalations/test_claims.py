"""Two staff claiming one escalation at once: one wins, the other is told (EscalationTaken), on SQLite and on
PostgreSQL; the escalation goes through the transition table and its audit row names the actor by kind and id."""

import asyncio

from sqlalchemy import select

from tests.workflows.escalations.test_service import _open
from workflows.access import Actor
from workflows.db import transaction
from workflows.escalations import service
from workflows.escalations.models import Escalation, EscalationStatus
from workflows.staff.models import Role, StaffUser
from workflows.staff.service import create_staff


async def _actor(runtime, username: str) -> Actor:
    async with runtime.sessions() as session:
        return Actor.of_staff(await session.scalar(select(StaffUser).where(StaffUser.username == username)))


async def test_two_staff_claiming_at_once_one_wins_and_the_other_is_told(any_runtime):
    escalation_id, _ = await _open(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        await create_staff(session, username="kefu2", display_name="小陈", role=Role.FRONT_DESK,
                           community_codes=["YGHY"], password="kefu2-password")
    kefu, kefu2 = await _actor(any_runtime, "kefu"), await _actor(any_runtime, "kefu2")
    ready = asyncio.Barrier(2)

    async def claim(actor: Actor) -> str:
        try:
            async with transaction(any_runtime.sessions) as session:
                loaded = await session.get(Escalation, escalation_id)
                await ready.wait()  # both hold version 1 before either writes
                await service.claim(session, escalation=loaded, actor=actor)
            return "won"
        except service.EscalationTaken:
            return "told"

    results = await asyncio.gather(claim(kefu), claim(kefu2))
    assert sorted(results) == ["told", "won"]
    winner = kefu if results[0] == "won" else kefu2
    async with any_runtime.sessions() as session:
        final = await session.get(Escalation, escalation_id)
    assert final.status == EscalationStatus.CLAIMED and final.claimed_by == winner.staff_id


async def test_a_claim_after_someone_else_claimed_is_told_so(runtime):
    escalation_id, _ = await _open(runtime)
    kefu, manager = await _actor(runtime, "kefu"), await _actor(runtime, "manager")
    async with transaction(runtime.sessions) as session:
        await service.claim(session, escalation=await session.get(Escalation, escalation_id), actor=kefu)
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        try:
            await service.claim(session, escalation=escalation, actor=manager)
        except service.EscalationTaken:
            told = True
        else:
            told = False
    assert told


async def test_staff_of_another_community_cannot_claim(runtime):
    escalation_id, _ = await _open(runtime)
    other = await _actor(runtime, "cuihu.kefu")
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        try:
            await service.claim(session, escalation=escalation, actor=other)
        except service.TransitionNotAllowed:
            refused = True
        else:
            refused = False
    assert refused
