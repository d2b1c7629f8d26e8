"""Escalations: opened by the bot, claimed, answered through the outbox, resolved; every change audited."""

import pytest
from sqlalchemy import select

from workflows.audit.models import AuditEvent
from workflows.community.models import Community
from workflows.db import transaction
from workflows.escalations import service
from workflows.escalations.models import Escalation, EscalationReason, EscalationStatus
from workflows.outbox.models import OutboxMessage
from workflows.staff.models import StaffUser
from workflows.statemachine import TransitionNotAllowed


async def _open(runtime, openid="owner-1", question="电梯一直响怎么办"):
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
        escalation = await service.open_escalation(session, community_id=community_id, openid=openid,
                                                   reason=EscalationReason.ASKED_FOR_PERSON, question=question)
        return escalation.id, escalation.number


async def _staff(runtime, username: str) -> service.Actor:
    async with runtime.sessions() as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        return service.Actor.of_staff(staff)


async def test_reply_claims_writes_outbox_and_audits(any_runtime):
    escalation_id, number = await _open(any_runtime)
    assert number.startswith("RG-")
    kefu = await _staff(any_runtime, "kefu")
    async with transaction(any_runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        await service.reply(session, escalation=escalation, actor=kefu, body="您好，已通知电梯维保。")
    async with any_runtime.sessions() as session:
        escalation = await session.get(Escalation, escalation_id)
        assert escalation.status == EscalationStatus.CLAIMED and escalation.claimed_by == kefu.staff_id
        assert escalation.first_response_at is not None
        [outbox] = list(await session.scalars(select(OutboxMessage)))
        assert outbox.payload["openid"] == "owner-1" and outbox.payload["text"] == "您好，已通知电梯维保。"
        actions = [e.action for e in await session.scalars(select(AuditEvent).where(  # the demo has billing history
            AuditEvent.entity_type == "escalation").order_by(AuditEvent.id))]
        assert actions == ["open", "reply"]


async def test_a_second_hand_over_joins_the_open_escalation(runtime):
    first, _ = await _open(runtime, question="第一次")
    second, _ = await _open(runtime, question="第二次")
    assert first == second
    async with runtime.sessions() as session:
        assert (await session.get(Escalation, first)).question == "第一次\n第二次"


async def test_technicians_cannot_answer_escalations(runtime):
    escalation_id, _ = await _open(runtime)
    technician = await _staff(runtime, "wang.shifu")
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        with pytest.raises(TransitionNotAllowed):
            await service.claim(session, escalation=escalation, actor=technician)


async def test_resolved_escalations_cannot_be_claimed(runtime):
    escalation_id, _ = await _open(runtime)
    kefu = await _staff(runtime, "kefu")
    async with transaction(runtime.sessions) as session:
        escalation = await session.get(Escalation, escalation_id)
        await service.resolve(session, escalation=escalation, actor=kefu)
        with pytest.raises(TransitionNotAllowed):
            await service.claim(session, escalation=escalation, actor=kefu)
