"""Repair tickets and complaints by number, as the bot calls them: small views and outcomes, never ORM rows."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from tests.workflows.repairs.factories import OPENID, act, demo, open_ticket
from workflows.complaints import by_number as complaint_numbers
from workflows.complaints.intake import file_complaint
from workflows.db import transaction
from workflows.repairs import by_number
from workflows.repairs import service as repairs
from workflows.staff.models import StaffUser


async def _bind(runtime, username: str, openid: str) -> None:
    async with transaction(runtime.sessions) as session:
        staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        staff.wechat_openid = openid


def _is_plain(view) -> bool:
    return dataclasses.is_dataclass(view) and not hasattr(view, "__mapper__")


async def test_a_ticket_is_shown_to_its_owner_and_its_communitys_staff_only(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    await _bind(runtime, "wang.shifu", "o-wang")
    await _bind(runtime, "cuihu.kefu", "o-cuihu")
    async with runtime.sessions() as session:
        mine = await by_number.ticket_for(session, number=ticket.number, openid=OPENID)
        staff = await by_number.ticket_for(session, number=ticket.number, openid="o-wang")
        other_community = await by_number.ticket_for(session, number=ticket.number, openid="o-cuihu")
        stranger = await by_number.ticket_for(session, number=ticket.number, openid="o-someone-else")
        listed = await by_number.owner_ticket_views(session, openid=OPENID)
    assert _is_plain(mine) and mine == staff
    assert (mine.number, mine.category, mine.technician) == (ticket.number, "水电", "王师傅")
    assert other_community is None and stranger is None
    assert [view.number for view in listed] == [ticket.number] and _is_plain(listed[0])


async def test_owner_and_technician_actions_say_why_not_when_refused(runtime):
    d = await demo(runtime)
    ticket = await open_ticket(runtime, d)
    await _bind(runtime, "wang.shifu", "o-wang")
    policy = repairs.RepairPolicy()
    async with transaction(runtime.sessions) as session:
        early = await by_number.rate_own(session, openid=OPENID, number=ticket.number, rating=5)
        reopen_open = await by_number.reopen_own(session, openid=OPENID, number=ticket.number, reason="x",
                                                 policy=policy)
        not_staff = await by_number.staff_perform(session, openid=OPENID, number=ticket.number, action="accept",
                                                  policy=policy)
        unknown = await by_number.staff_perform(session, openid="o-wang", number="BX-20200101-0001",
                                                action="accept", policy=policy)
        accepted = await by_number.staff_perform(session, openid="o-wang", number=ticket.number, action="accept",
                                                 policy=policy)
        again = await by_number.staff_perform(session, openid="o-wang", number=ticket.number, action="accept",
                                              policy=policy)
    assert (early.refused, early.status_label) == (by_number.NOT_YET, ticket.status_label)
    assert reopen_open.refused == by_number.NOT_YET
    assert not_staff.refused == by_number.STAFF_ONLY and unknown.refused == by_number.NOT_FOUND
    assert accepted.done and not again.done
    await act(runtime, ticket.id, repairs.start, actor=d.actor("wang.shifu"))
    await act(runtime, ticket.id, repairs.complete, actor=d.actor("wang.shifu"))
    async with transaction(runtime.sessions) as session:
        assert (await by_number.rateable(session, openid=OPENID, number=ticket.number)).done
        assert (await by_number.rate_own(session, openid=OPENID, number=ticket.number, rating=4)).done
        assert (await by_number.rate_own(session, openid="o-other", number=ticket.number,
                                         rating=4)).refused == by_number.NOT_FOUND


async def test_a_complaint_is_filed_and_answered_by_number(runtime):
    d = await demo(runtime)
    async with transaction(runtime.sessions) as session:
        receipt = await file_complaint(session, community_id=d.community_id, openid=OPENID, category="噪音",
                                       description="楼上半夜蹦迪", household_id=d.household_id,
                                       resident_id=d.resident_id, photos=[], anonymous=False, about="",
                                       submission_key="k-1")
        same = await file_complaint(session, community_id=d.community_id, openid=OPENID, category="噪音",
                                    description="楼上半夜蹦迪", household_id=d.household_id,
                                    resident_id=d.resident_id, photos=[], anonymous=False, about="",
                                    submission_key="k-1")
    assert receipt.number.startswith("TS-") and same == receipt and _is_plain(receipt)
    async with transaction(runtime.sessions) as session:
        view = await complaint_numbers.complaint_for(session, number=receipt.number, openid=OPENID)
        waiting = await complaint_numbers.waiting_for_owner(session, openid=OPENID)
        early = await complaint_numbers.answer_reply(session, openid=OPENID, number=receipt.number, satisfied=True)
    assert _is_plain(view) and (view.category, view.reply) == ("噪音", "")
    assert waiting == [] and (early.refused, early.status_label) == (by_number.NOT_YET, view.status_label)
