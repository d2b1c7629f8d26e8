"""Binding openids to households: roster verification, requests, staff decisions with outbox rows, unbinding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflows.audit.models import AuditEvent
from workflows.bindings.models import BindingRequestStatus, WechatBinding
from workflows.bindings.service import (
    BindingError,
    approve_request,
    bind_or_request,
    forget_cached_profile,
    list_bindings,
    reject_request,
    request_binding,
    request_reference,
    unbind,
    verify_and_bind,
)
from workflows.community.models import Household, Resident
from workflows.db import transaction
from workflows.escalations.service import Actor
from workflows.outbox.models import OutboxMessage

KEFU = Actor(role="front_desk", staff_id=3)


async def demo_household(session) -> Household:
    return await session.scalar(select(Household).where(Household.room == "1单元101", Household.community_id == 1)
                                .order_by(Household.id).limit(1))


async def test_a_roster_match_binds_once(any_runtime) -> None:
    async with transaction(any_runtime.sessions) as session:
        household = await demo_household(session)
        binding, created = await verify_and_bind(session, openid="o1", household_id=household.id, name="张 伟",
                                                 phone_last4="１２３４")
        assert binding is not None and created
        again, created_again = await verify_and_bind(session, openid="o1", household_id=household.id, name="张伟",
                                                     phone_last4="1234")
        assert again.id == binding.id and not created_again
        wrong, _ = await verify_and_bind(session, openid="o2", household_id=household.id, name="张伟",
                                         phone_last4="4321")
        assert wrong is None
    async with any_runtime.sessions() as session:
        [view] = await list_bindings(session, openid="o1")
        assert view.full_label == "阳光花园 1栋1单元101" and view.resident_name == "张伟"
        actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "binding")))
        assert {"bind", "verify_failed"} <= actions


async def test_bind_or_request_gives_the_chat_plain_values(runtime) -> None:
    async with transaction(runtime.sessions) as session:
        household = await demo_household(session)
        values = {"household_id": household.id, "name": "张伟", "phone": "尾号1234"}
        first = await bind_or_request(session, openid="o6", phone_last4="1234", **values)
        again = await bind_or_request(session, openid="o6", phone_last4="1234", **values)
        asked = await bind_or_request(session, openid="o7", phone_last4="9999", **values)
    assert (first.bound, first.created, first.label) == (True, True, "阳光花园 1栋1单元101")
    assert (again.bound, again.created) == (True, False)
    assert not asked.bound and asked.reference.startswith("SQ-") and asked.label == first.label


async def test_approving_a_request_adds_the_resident_binds_and_tells_the_owner(any_runtime) -> None:
    async with transaction(any_runtime.sessions) as session:
        household = await demo_household(session)
        request = await request_binding(session, openid="o3", household_id=household.id, name="张小伟",
                                        phone="尾号5678", role="family")
        assert request_reference(request) == f"SQ-{request.id:06d}"
        same = await request_binding(session, openid="o3", household_id=household.id, name="张小伟")
        assert same.id == request.id  # one open request per owner and flat
    async with transaction(any_runtime.sessions) as session:
        binding = await approve_request(session, request_id=request.id, actor=KEFU)
    async with any_runtime.sessions() as session:
        resident = await session.get(Resident, binding.resident_id)
        assert resident.name == "张小伟" and resident.role == "family"
        outbox = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        assert outbox.payload["openid"] == "o3" and "已通过" in outbox.payload["text"]
        assert request_reference(request) in outbox.payload["text"]
    async with transaction(any_runtime.sessions) as session:
        with pytest.raises(BindingError):
            await approve_request(session, request_id=request.id, actor=KEFU)


async def test_rejecting_a_request_tells_the_owner_why(runtime) -> None:
    async with transaction(runtime.sessions) as session:
        household = await demo_household(session)
        request = await request_binding(session, openid="o4", household_id=household.id, name="路人")
    async with transaction(runtime.sessions) as session:
        decided = await reject_request(session, request_id=request.id, actor=KEFU, note="不是本户住户")
        assert decided.status == BindingRequestStatus.REJECTED and decided.decided_by == 3
    async with runtime.sessions() as session:
        outbox = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        assert "没有通过" in outbox.payload["text"] and "不是本户住户" in outbox.payload["text"]
        assert await session.scalar(select(WechatBinding).where(WechatBinding.openid == "o4")) is None


async def test_unbind_touches_only_the_owners_own_binding(runtime) -> None:
    async with transaction(runtime.sessions) as session:
        household = await demo_household(session)
        binding, _ = await verify_and_bind(session, openid="o5", household_id=household.id, name="张伟",
                                           phone_last4="1234")
    async with transaction(runtime.sessions) as session:
        assert await unbind(session, openid="someone-else", binding_id=binding.id) is None
    async with transaction(runtime.sessions) as session:
        view = await unbind(session, openid="o5", binding_id=binding.id)
        assert view is not None and view.label == "1栋1单元101"
    async with runtime.sessions() as session:
        assert await list_bindings(session, openid="o5") == []


async def test_forgetting_the_cached_profile_drops_the_bot_key(runtime) -> None:
    await runtime.state.set("owner:o6", "{}", 600)
    await forget_cached_profile(runtime.state, openid="o6")
    assert await runtime.state.get("owner:o6") is None
