"""Activity sign-up: capacity and deadline hold under concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from workflows.activities.models import Activity, ActivitySignup, SignupStatus
from workflows.activities.service import (
    ActivityError,
    SignupOutcome,
    cancel_signup,
    create_activity,
    my_signups,
    open_activities,
    sign_up,
    signups_of,
)
from workflows.clock import utcnow
from workflows.community.models import Community
from workflows.db import transaction


async def _activity(runtime, *, capacity: int = 3, deadline_in: timedelta = timedelta(days=1)) -> int:
    async with transaction(runtime.sessions) as session:
        community = await session.scalar(select(Community).where(Community.code == "YGHY"))
        activity = await create_activity(session, community_id=community.id, title="重阳节包饺子", place="会所活动室",
                                         starts_at=utcnow() + timedelta(days=2),
                                         signup_deadline=utcnow() + deadline_in, capacity=capacity)
        return activity.id


async def test_ten_owners_racing_for_three_places_get_exactly_three(any_runtime):
    activity_id = await _activity(any_runtime, capacity=3)

    async def one(n: int) -> SignupOutcome:
        async with transaction(any_runtime.sessions) as session:
            return (await sign_up(session, activity_id=activity_id, openid=f"owner-{n}")).outcome

    outcomes = await asyncio.gather(*(one(n) for n in range(10)))
    assert outcomes.count(SignupOutcome.SIGNED) == 3 and outcomes.count(SignupOutcome.FULL) == 7
    async with transaction(any_runtime.sessions) as session:
        assert (await session.get(Activity, activity_id)).signed_count == 3
        assert len(await signups_of(session, activity_id=activity_id)) == 3


async def test_signing_up_twice_keeps_one_place_and_cancel_gives_it_back(any_runtime):
    activity_id = await _activity(any_runtime, capacity=1)
    async with transaction(any_runtime.sessions) as session:
        assert (await sign_up(session, activity_id=activity_id, openid="a")).outcome == SignupOutcome.SIGNED
        again = await sign_up(session, activity_id=activity_id, openid="a")
        assert again.outcome == SignupOutcome.ALREADY
        assert (await sign_up(session, activity_id=activity_id, openid="b")).outcome == SignupOutcome.FULL
        assert [a.id for a in await my_signups(session, openid="a")] == [activity_id]
        assert (await cancel_signup(session, activity_id=activity_id, openid="a")).outcome == SignupOutcome.CANCELLED
        assert (await cancel_signup(session, activity_id=activity_id, openid="a")).outcome == SignupOutcome.NOT_SIGNED
        assert (await sign_up(session, activity_id=activity_id, openid="b")).outcome == SignupOutcome.SIGNED
        assert (await sign_up(session, activity_id=activity_id, openid="a")).outcome == SignupOutcome.FULL
        rows = list(await session.scalars(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id)))
        assert {(r.openid, r.status) for r in rows} == {("a", SignupStatus.CANCELLED), ("b", SignupStatus.SIGNED)}
        assert (await session.get(Activity, activity_id)).signed_count == 1


async def test_after_the_deadline_nobody_can_sign_up(runtime):
    activity_id = await _activity(runtime, capacity=5)
    async with transaction(runtime.sessions) as session:
        late = await sign_up(session, activity_id=activity_id, openid="late", now=utcnow() + timedelta(days=1, hours=1))
        assert late.outcome == SignupOutcome.CLOSED
        community_ids = {(await session.get(Activity, activity_id)).community_id}
        assert await open_activities(session, community_ids=community_ids, now=utcnow() + timedelta(days=1, hours=1)) \
            == []


async def test_an_activity_with_bad_values_is_refused_with_the_field(runtime):
    async with transaction(runtime.sessions) as session:
        community = await session.scalar(select(Community).where(Community.code == "YGHY"))
        cases = [({"capacity": 0}, "capacity"), ({"title": " "}, "title"),
                 ({"signup_deadline": utcnow() + timedelta(days=3)}, "signup_deadline"),
                 ({"starts_at": utcnow() - timedelta(hours=1)}, "starts_at")]
        for override, field in cases:
            values = {"community_id": community.id, "title": "活动", "place": "会所",
                      "starts_at": utcnow() + timedelta(days=2), "signup_deadline": utcnow() + timedelta(days=1),
                      "capacity": 10, **override}
            try:
                await create_activity(session, **values)
            except ActivityError as exc:
                assert exc.field == field
            else:
                raise AssertionError(f"{override} was accepted")
