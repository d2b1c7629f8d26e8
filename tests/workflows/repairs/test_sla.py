from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.workflows.repairs.factories import act, demo, open_ticket
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage
from workflows.repairs import service as repairs
from workflows.repairs.models import Priority, RepairStatus, RepairTicket
from workflows.repairs.scheduled import check_repair_slas, run_repair_timers
from workflows.repairs.sla import sla_targets
from workflows.staff.models import StaffUser


def test_a_normal_ticket_sent_at_night_starts_its_clock_at_eight():
    night = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    respond_by, resolve_by = sla_targets(created_at=night, priority=Priority.NORMAL, resolve_hours=24)
    assert respond_by == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 next morning local
    assert resolve_by == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    urgent, _ = sla_targets(created_at=night, priority=Priority.URGENT, resolve_hours=24)
    assert urgent == night + timedelta(minutes=30)  # 7×24


async def test_a_breach_is_flagged_once_and_the_manager_is_told(any_runtime):
    d = await demo(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        (await session.get(StaffUser, d.staff["manager"].id)).wechat_openid = "o-manager-zhou"
    ticket = await open_ticket(any_runtime, d, description="卫生间漏水")  # urgent: respond within 30 min
    later = datetime.now(UTC) + timedelta(minutes=31)
    async with transaction(any_runtime.sessions) as session:
        first = await check_repair_slas(session, now=later)
    async with transaction(any_runtime.sessions) as session:
        again = await check_repair_slas(session, now=later + timedelta(minutes=5))
    assert (first.respond_breaches, first.managers_told, again.respond_breaches) == (1, 1, 0)
    async with any_runtime.sessions() as session:
        flagged = await session.get(RepairTicket, ticket.id)
        to_manager = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text")))
    assert flagged.respond_breached_at is not None
    assert [m.payload["openid"] for m in to_manager] == ["o-manager-zhou"]
    assert ticket.number in to_manager[0].payload["text"]
    # The flag does not get in the way of the technician accepting afterwards.
    accepted = await act(any_runtime, ticket.id, repairs.accept, actor=d.actor("wang.shifu"))
    assert accepted.status == RepairStatus.ACCEPTED


async def test_unrated_completed_tickets_close_after_the_reopen_window(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)
    wang = d.actor("wang.shifu")
    for step in (repairs.accept, repairs.start):
        await act(any_runtime, ticket.id, step, actor=wang)
    await act(any_runtime, ticket.id, repairs.complete, actor=wang, now=datetime.now(UTC) - timedelta(days=8))
    result = await run_repair_timers(any_runtime.sessions)
    assert result["auto_closed"] == 1
    async with any_runtime.sessions() as session:
        assert (await session.get(RepairTicket, ticket.id)).status == RepairStatus.CLOSED


async def test_two_workers_running_the_timers_at_once_flag_and_notify_once(any_runtime):
    import asyncio

    d = await demo(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        (await session.get(StaffUser, d.staff["manager"].id)).wechat_openid = "o-manager-zhou"
    await open_ticket(any_runtime, d, description="厨房水管爆管了")
    later = datetime.now(UTC) + timedelta(minutes=45)

    async def sweep():
        async with transaction(any_runtime.sessions) as session:
            return await check_repair_slas(session, now=later)

    results = await asyncio.gather(sweep(), sweep(), return_exceptions=True)
    sweeps = [r for r in results if not isinstance(r, BaseException)]
    assert sum(s.respond_breaches for s in sweeps) == 1
    async with any_runtime.sessions() as session:
        told = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text")))
    assert len(told) == 1
