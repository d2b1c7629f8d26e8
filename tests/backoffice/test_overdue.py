"""Overdue escalations: minutes count only in working hours; the manager is told once, in WeChat if bound."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from tests.backoffice.factories import raise_escalation
from tests.backoffice.helpers import staff_client
from workflows.clock import SHANGHAI
from workflows.db import transaction
from workflows.escalations.models import Escalation
from workflows.escalations.scheduled import find_and_flag_overdue, working_minutes_between
from workflows.outbox.models import OutboxMessage
from workflows.staff.models import StaffUser

HOURS = (time(8, 0), time(20, 0))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_minutes_outside_working_hours_do_not_count():
    assert working_minutes_between(at(24, 9), at(24, 9, 20), SHANGHAI, HOURS) == 20
    assert working_minutes_between(at(24, 19, 50), at(25, 8, 5), SHANGHAI, HOURS) == 15
    assert working_minutes_between(at(24, 22), at(25, 7, 59), SHANGHAI, HOURS) == 0


async def test_an_unanswered_escalation_is_flagged_once_and_the_bound_manager_is_told(runtime):
    escalation_id = await raise_escalation(runtime)
    async with transaction(runtime.sessions) as session:
        manager = await session.scalar(select(StaffUser).where(StaffUser.username == "manager"))
        manager.wechat_openid = "manager-openid"
        (await session.get(Escalation, escalation_id)).created_at = at(24, 9)
    for _ in range(2):
        async with transaction(runtime.sessions) as session:
            await find_and_flag_overdue(session, now=at(24, 9, 16), tz=SHANGHAI, hours=HOURS, overdue_minutes=15)
    async with transaction(runtime.sessions) as session:
        assert (await session.get(Escalation, escalation_id)).flagged_overdue
        notices = list(await session.scalars(select(OutboxMessage)))
        assert len(notices) == 1 and notices[0].payload["openid"] == "manager-openid"
        assert "超时提醒" in notices[0].payload["text"]
    async with staff_client(runtime, "manager") as client:
        page = await client.page("/admin/escalations?status=overdue")
        assert 'class="overdue"' in page.text and "超时" in page.text


async def test_an_escalation_raised_at_night_is_not_overdue_before_work_starts(runtime):
    escalation_id = await raise_escalation(runtime)
    async with transaction(runtime.sessions) as session:
        (await session.get(Escalation, escalation_id)).created_at = at(24, 23)
        flagged = await find_and_flag_overdue(session, now=at(25, 8, 10), tz=SHANGHAI, hours=HOURS,
                                              overdue_minutes=15)
        assert flagged == []
        flagged = await find_and_flag_overdue(session, now=at(25, 8, 15) + timedelta(seconds=1), tz=SHANGHAI,
                                              hours=HOURS, overdue_minutes=15)
        assert [e.id for e in flagged] == [escalation_id]


async def test_bound_front_desk_staff_hear_about_new_work_once(runtime):
    from workflows.bindings.models import BindingRequest
    from workflows.clock import utcnow
    from workflows.community.models import Household
    from workflows.escalations.scheduled import notify_staff_of_new_work

    escalation_id = await raise_escalation(runtime)
    async with transaction(runtime.sessions) as session:
        for username, openid in (("kefu", "kefu-openid"), ("cuihu.kefu", "cuihu-openid"), ("wang.shifu", "w-openid")):
            staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
            staff.wechat_openid = openid
        household = await session.get(Household, 1)
        session.add(BindingRequest(openid="someone", community_id=household.community_id, household_id=household.id,
                                   name="新业主"))
    for _ in range(2):
        async with transaction(runtime.sessions) as session:
            await notify_staff_of_new_work(session, now=utcnow())
    async with transaction(runtime.sessions) as session:
        notices = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [n.payload["openid"] for n in notices] == ["kefu-openid", "kefu-openid"]  # not 翠湖苑's, not a technician
    escalation_number = (await _number(runtime, escalation_id))
    assert escalation_number in notices[0].payload["text"] and "新业主" in notices[1].payload["text"]


async def _number(runtime, escalation_id: int) -> str:
    async with transaction(runtime.sessions) as session:
        return (await session.get(Escalation, escalation_id)).number
