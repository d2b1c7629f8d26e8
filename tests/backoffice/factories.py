"""Rows the back-office tests need, built through the real services."""

from __future__ import annotations

from sqlalchemy import select

from workflows.bindings.models import WechatBinding
from workflows.community.models import Building, Community, Household, Resident
from workflows.db import transaction
from workflows.escalations.models import EscalationReason
from workflows.escalations.service import open_escalation
from workflows.messages.service import record_messages
from workflows.runtime import Runtime


async def community_id(runtime: Runtime, code: str) -> int:
    async with transaction(runtime.sessions) as session:
        return (await session.scalar(select(Community.id).where(Community.code == code)))


async def bind_owner(runtime: Runtime, *, openid: str, code: str = "YGHY", building: str = "1栋",
                     room: str = "1单元101") -> int:
    """Bind an openid to the owner of a household (as the bot's 绑定房屋 would); returns the household id."""
    async with transaction(runtime.sessions) as session:
        household = await session.scalar(select(Household).join(Building).join(Community).where(
            Community.code == code, Building.name == building, Household.room == room))
        resident = await session.scalar(select(Resident).where(Resident.household_id == household.id))
        session.add(WechatBinding(openid=openid, community_id=household.community_id, household_id=household.id,
                                  resident_id=resident.id))
        return household.id


async def raise_escalation(runtime: Runtime, *, openid: str = "owner-zhang", code: str = "YGHY",
                           question: str = "我家楼上一直漏水，物业能派人看看吗？") -> int:
    cid = await community_id(runtime, code)
    async with transaction(runtime.sessions) as session:
        await record_messages(session, entries=[
            {"openid": openid, "community_id": cid, "direction": "in", "content": question, "channel": "chat"},
            {"openid": openid, "community_id": cid, "direction": "out", "content": "这个问题我答不好，已为您转人工。",
             "channel": "chat"}])
        await session.flush()
        escalation = await open_escalation(session, community_id=cid, openid=openid,
                                           reason=EscalationReason.ASKED_FOR_PERSON, question=question)
        return escalation.id
