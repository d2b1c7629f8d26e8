"""Binding requests, announcements and activities change state only through their transition tables and
apply_transition (issue #18's rule book): two staff acting on the same row at once, one wins and the other is told;
one audit row per change; an action the table does not offer in the current state is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workflows.access import Actor, allowed_actions
from workflows.activities.models import Activity, ActivityStatus
from workflows.activities.service import ActivityError, cancel_activity, create_activity
from workflows.announcements.models import Announcement, AnnouncementStatus
from workflows.announcements.service import (
    AnnouncementError,
    create_announcement,
    publish_announcement,
    withdraw_announcement,
)
from workflows.audit.models import AuditEvent
from workflows.bindings.models import BindingRequest, BindingRequestStatus
from workflows.bindings.service import BindingError, approve_request, reject_request, request_binding
from workflows.clock import utcnow
from workflows.community.models import Community, Household
from workflows.db import transaction

KEFU = Actor(role="front_desk", staff_id=3, community_ids=frozenset({1}))
MANAGER = Actor(role="manager", staff_id=2, community_ids=frozenset({1}))


async def _community_id(runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(Community.id).where(Community.code == "YGHY"))


async def _race(runtime, model: type, row_id: int, first: Callable[..., Awaitable[object]],
                second: Callable[..., Awaitable[object]], refused: type[Exception]) -> list[str]:
    """Both load the row (same version) before either writes; returns "won" / "told" per contender."""
    ready = asyncio.Barrier(2)

    async def contender(act: Callable[..., Awaitable[object]]) -> str:
        try:
            async with transaction(runtime.sessions) as session:
                row = await session.get(model, row_id)
                await ready.wait()
                await act(session, row)
            return "won"
        except refused:
            return "told"

    return list(await asyncio.gather(contender(first), contender(second)))


async def _audit_rows(runtime, entity_type: str, entity_id: int) -> list[AuditEvent]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id),
            AuditEvent.action != "create", AuditEvent.action != "request")))


async def test_approve_and_reject_of_one_binding_request_at_once_one_wins(any_runtime):
    async with transaction(any_runtime.sessions) as session:
        household = await session.scalar(select(Household).where(Household.community_id == 1).limit(1))
        request = await request_binding(session, openid="o-race", household_id=household.id, name="张小伟")
    results = await _race(any_runtime, BindingRequest, request.id,
                          lambda s, r: approve_request(s, request_id=r.id, actor=KEFU),
                          lambda s, r: reject_request(s, request_id=r.id, actor=MANAGER, note="查无此人"),
                          BindingError)
    assert sorted(results) == ["told", "won"]
    async with any_runtime.sessions() as session:
        final = await session.get(BindingRequest, request.id)
        assert allowed_actions(KEFU, final) == {"view"}  # decided: the table offers nothing more
    [audit] = await _audit_rows(any_runtime, "binding_request", request.id)
    expected = BindingRequestStatus.APPROVED if results[0] == "won" else BindingRequestStatus.REJECTED
    assert final.status == expected and audit.to_state == expected.value and audit.from_state == "pending"


async def test_two_staff_publishing_one_draft_at_once_queue_its_messages_once(any_runtime):
    cid = await _community_id(any_runtime)
    async with transaction(any_runtime.sessions) as session:
        draft = await create_announcement(session, community_id=cid, title="停水通知", body="周三 9:00-12:00 停水",
                                          staff_id=3)
    results = await _race(any_runtime, Announcement, draft.id,
                          lambda s, a: publish_announcement(s, announcement=a, actor=KEFU),
                          lambda s, a: publish_announcement(s, announcement=a, actor=MANAGER),
                          AnnouncementError)
    assert sorted(results) == ["told", "won"]
    [audit] = await _audit_rows(any_runtime, "announcement", draft.id)
    assert (audit.action, audit.from_state, audit.to_state) == ("publish", "draft", "published")
    async with transaction(any_runtime.sessions) as session:
        published = await session.get(Announcement, draft.id)
        assert published.status == AnnouncementStatus.PUBLISHED and allowed_actions(KEFU, published) == {
            "view", "withdraw"}
        with pytest.raises(AnnouncementError):
            await publish_announcement(session, announcement=published, actor=KEFU)


async def test_an_activity_is_cancelled_once_even_by_two_staff_at_once(any_runtime):
    cid = await _community_id(any_runtime)
    now = utcnow()
    async with transaction(any_runtime.sessions) as session:
        activity = await create_activity(session, community_id=cid, title="包饺子", place="会所",
                                         starts_at=now + timedelta(days=3), signup_deadline=now + timedelta(days=2),
                                         capacity=10, staff_id=3)
    results = await _race(any_runtime, Activity, activity.id,
                          lambda s, a: cancel_activity(s, activity=a, actor=KEFU),
                          lambda s, a: cancel_activity(s, activity=a, actor=MANAGER),
                          ActivityError)
    assert sorted(results) == ["told", "won"]
    [audit] = await _audit_rows(any_runtime, "activity", activity.id)
    assert (audit.action, audit.from_state, audit.to_state) == ("cancel", "open", "cancelled")
    async with transaction(any_runtime.sessions) as session:
        cancelled = await session.get(Activity, activity.id)
        assert cancelled.status == ActivityStatus.CANCELLED and allowed_actions(KEFU, cancelled) == {"view"}
        with pytest.raises(ActivityError):  # cancelling again is refused, not audited twice
            await cancel_activity(session, activity=cancelled, actor=KEFU)


async def test_only_desk_roles_may_withdraw_and_the_system_only_publishes(runtime):
    cid = await _community_id(runtime)
    technician = Actor(role="technician", staff_id=4, community_ids=frozenset({cid}))
    async with transaction(runtime.sessions) as session:
        draft = await create_announcement(session, community_id=cid, title="电梯保养", body="周五", staff_id=3)
        await publish_announcement(session, announcement=draft)  # the demo's way: as the system
        with pytest.raises(AnnouncementError):
            await withdraw_announcement(session, announcement=draft, actor=technician)
    async with runtime.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == "announcement", AuditEvent.action == "withdraw"))
    assert count == 0
