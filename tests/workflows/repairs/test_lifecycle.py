from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.workflows.repairs.factories import OPENID, act, demo, open_ticket
from workflows.audit.models import AuditEvent
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.messages.models import MessageLog
from workflows.outbox.models import OutboxMessage
from workflows.repairs import service as repairs
from workflows.repairs.models import Priority, RepairStatus, RepairTicket
from workflows.statemachine import TransitionNotAllowed


async def _outbox(runtime, openid: str | None = None) -> list[OutboxMessage]:
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    return [r for r in rows if openid is None or r.payload.get("openid") == openid]


async def test_a_ticket_goes_from_report_to_rating_and_the_owner_hears_every_step(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)
    assert ticket.number.startswith("BX-") and len(ticket.number) == len("BX-20261125-0001")
    # 水电 goes to the 水电 group; both 王师傅 and 陈师傅 have it and are idle: the lower id wins.
    assert ticket.status == RepairStatus.DISPATCHED
    assert ticket.assignee_id == d.staff["wang.shifu"].id
    wang = d.actor("wang.shifu")
    await act(any_runtime, ticket.id, repairs.accept, actor=wang)
    await act(any_runtime, ticket.id, repairs.start, actor=wang)
    await act(any_runtime, ticket.id, repairs.complete, actor=wang, note="换了阀芯")
    owner = repairs.owner_actor(OPENID)
    done = await act(any_runtime, ticket.id, repairs.rate, actor=owner, rating=5, comment="师傅很快")
    assert (done.status, done.rating, done.rating_comment) == (RepairStatus.RATED, 5, "师傅很快")
    assert done.first_response_at is not None and done.completed_at is not None

    async with any_runtime.sessions() as session:
        events = list(await session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "repair", AuditEvent.entity_id == str(ticket.id)).order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["open", "assign", "accept", "start", "complete", "rate"]
    assert events[2].from_state == "dispatched" and events[2].to_state == "accepted"
    told = [m.payload["event"] for m in await _outbox(any_runtime, OPENID)]
    assert told == ["accepted", "on_the_way", "completed"]
    assert "王师傅" in (await _outbox(any_runtime, OPENID))[0].payload["text"]


async def test_owner_messages_use_the_template_after_the_48_hour_window(any_runtime):
    d = await demo(any_runtime)
    fresh, stale = "o-recent-owner", "o-quiet-owner"
    async with transaction(any_runtime.sessions) as session:
        session.add(MessageLog(openid=fresh, direction="in", content="报修", created_at=utcnow()))
        session.add(MessageLog(openid=stale, direction="in", content="报修",
                               created_at=utcnow() - timedelta(hours=49)))
    for openid in (fresh, stale):
        ticket = await open_ticket(any_runtime, d, openid=openid, household_id=None, public_area=True,
                                   location_text=f"{openid} 楼道", description=f"{openid} 灯不亮")
        await act(any_runtime, ticket.id, repairs.accept, actor=d.actor("wang.shifu"))
    kinds = {m.payload["openid"]: m.kind for m in await _outbox(any_runtime) if m.payload.get("event")}
    assert kinds == {fresh: "wechat.text", stale: "wechat.template"}


async def test_a_technician_cannot_move_a_closed_ticket_back_to_work(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)
    wang = d.actor("wang.shifu")
    for step in (repairs.accept, repairs.start, repairs.complete):
        await act(any_runtime, ticket.id, step, actor=wang)
    await act(any_runtime, ticket.id, repairs.close, actor=d.actor("manager"))
    with pytest.raises(TransitionNotAllowed):
        await act(any_runtime, ticket.id, repairs.perform, action="start", actor=wang)
    async with any_runtime.sessions() as session:
        assert (await session.get(RepairTicket, ticket.id)).status == RepairStatus.CLOSED


async def test_staff_of_another_group_or_community_cannot_take_the_order(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)  # 水电: 李师傅 (电梯,公共设施,其他) is not in the group
    with pytest.raises(repairs.NotYourTicket):
        await act(any_runtime, ticket.id, repairs.accept, actor=d.actor("li.shifu"))
    with pytest.raises(TransitionNotAllowed):  # front desk is not a technician
        await act(any_runtime, ticket.id, repairs.accept, actor=d.actor("kefu"))


async def test_an_owner_reopens_within_the_window_and_not_after(any_runtime):
    d = await demo(any_runtime)
    owner = repairs.owner_actor(OPENID)
    wang = d.actor("wang.shifu")
    ticket = await open_ticket(any_runtime, d)
    for step in (repairs.accept, repairs.start, repairs.complete):
        await act(any_runtime, ticket.id, step, actor=wang)
    reopened = await act(any_runtime, ticket.id, repairs.reopen, actor=owner, reason="还是漏")
    assert reopened.status == RepairStatus.DISPATCHED and reopened.reopen_count == 1
    assert reopened.assignee_id == d.staff["wang.shifu"].id  # back to the same technician
    for step in (repairs.accept, repairs.start):
        await act(any_runtime, ticket.id, step, actor=wang)
    await act(any_runtime, ticket.id, repairs.complete, actor=wang, now=utcnow() - timedelta(days=8))
    with pytest.raises(TransitionNotAllowed):
        await act(any_runtime, ticket.id, repairs.reopen, actor=owner)
    with pytest.raises(repairs.NotYourTicket):  # another owner cannot rate it
        await act(any_runtime, ticket.id, repairs.rate, actor=repairs.owner_actor("o-stranger"), rating=1)


async def test_urgent_words_make_the_ticket_urgent_with_a_tight_sla(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d, category="电梯", description="5栋电梯困人了，快来",
                               household_id=None, public_area=True, location_text="5栋电梯")
    assert ticket.priority == Priority.URGENT
    assert ticket.respond_by - ticket.created_at == timedelta(minutes=30)
    assert ticket.assignee_id == d.staff["li.shifu"].id


async def test_a_technician_bound_to_wechat_gets_the_new_order_in_chat(any_runtime):
    d = await demo(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        wang = await session.get(type(d.staff["wang.shifu"]), d.staff["wang.shifu"].id)
        wang.wechat_openid = "o-wang-shifu"
    ticket = await open_ticket(any_runtime, d)
    to_wang = await _outbox(any_runtime, "o-wang-shifu")
    assert len(to_wang) == 1 and ticket.number in to_wang[0].payload["text"]
    assert f"接单 {ticket.number}" in to_wang[0].payload["text"]


async def test_least_loaded_technician_gets_the_next_order_and_staff_can_reassign(any_runtime):
    d = await demo(any_runtime)
    first = await open_ticket(any_runtime, d, household_id=None, public_area=True, location_text="2栋地下室",
                              description="地下室水管滴水")
    second = await open_ticket(any_runtime, d, household_id=None, public_area=True, location_text="6栋屋顶",
                               description="屋顶水箱溢水口坏")
    assert {first.assignee_id, second.assignee_id} == {d.staff["wang.shifu"].id, d.staff["chen.shifu"].id}
    moved = await act(any_runtime, second.id, repairs.assign, actor=d.actor("kefu"), technician=d.staff["li.shifu"])
    assert moved.assignee_id == d.staff["li.shifu"].id and moved.status == RepairStatus.DISPATCHED


async def test_waiting_for_parts_and_resuming_are_told_to_the_owner(any_runtime):
    d = await demo(any_runtime)
    ticket = await open_ticket(any_runtime, d)
    wang = d.actor("wang.shifu")
    for step in (repairs.accept, repairs.start):
        await act(any_runtime, ticket.id, step, actor=wang)
    await act(any_runtime, ticket.id, repairs.perform, action="wait_parts", actor=wang, note="阀芯要订货")
    await act(any_runtime, ticket.id, repairs.perform, action="resume", actor=wang)
    told = [m.payload["event"] for m in await _outbox(any_runtime, OPENID)]
    assert told == ["accepted", "on_the_way", "waiting_parts", "resumed"]
    assert "阀芯要订货" in (await _outbox(any_runtime, OPENID))[2].payload["text"]
