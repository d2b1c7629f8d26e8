import asyncio

from sqlalchemy import func, select

from tests.workflows.repairs.factories import OPENID, demo, open_ticket
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.models import RepairStatus, RepairTicket


async def test_two_technicians_accepting_at_once_one_wins_and_the_other_is_told(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)
    ready = asyncio.Barrier(2)

    async def accept(username: str) -> str:
        try:
            async with transaction(any_runtime.sessions) as session:
                loaded = await session.get(RepairTicket, ticket.id)
                await ready.wait()  # both hold version 1 before either writes
                await repairs.accept(session, ticket=loaded, actor=d.actor(username))
            return "won"
        except repairs.TicketTaken:
            return "told"

    results = await asyncio.gather(accept("wang.shifu"), accept("chen.shifu"))
    assert sorted(results) == ["told", "won"]
    async with any_runtime.sessions() as session:
        final = await session.get(RepairTicket, ticket.id)
    winner = "wang.shifu" if results[0] == "won" else "chen.shifu"
    assert final.status == RepairStatus.ACCEPTED and final.assignee_id == d.staff[winner].id


async def test_the_same_submit_twice_creates_one_ticket(any_runtime):
    d = await demo(any_runtime)
    key = f"{OPENID}:repair:abc123"
    results = await asyncio.gather(*(open_ticket(any_runtime, d, submission_key=key) for _ in range(2)))
    first = await open_ticket(any_runtime, d, submission_key=key)
    assert results[0].number == results[1].number == first.number
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(RepairTicket.id))) == 1


async def test_a_failure_after_opening_leaves_no_ticket_behind(any_runtime):
    import pytest

    d = await demo(any_runtime)
    with pytest.raises(RuntimeError):
        async with transaction(any_runtime.sessions) as session:
            await repairs.open_repair(session, community_id=d.community_id, openid=OPENID, category="水电",
                                      description="厨房漏水", submission_key="k-atomic")
            raise RuntimeError("something after the ticket failed")
    async with any_runtime.sessions() as session:
        assert await session.scalar(select(func.count(RepairTicket.id))) == 0
