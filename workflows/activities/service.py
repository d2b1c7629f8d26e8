"""The only code that changes activities and sign-ups (活动报名).

Capacity and deadline are enforced by one conditional UPDATE of `signed_count` (… WHERE signed_count < capacity AND
signup_deadline > now), so two owners taking the last place at the same moment cannot both get it, on SQLite and
on PostgreSQL alike.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import SYSTEM, Actor
from workflows.activities.models import Activity, ActivitySignup, ActivityStatus, SignupStatus
from workflows.activities.states import TRANSITIONS
from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.statemachine import TransitionNotAllowed, apply_transition

MAX_CAPACITY = 10_000


class ActivityError(ValueError):
    """A bad value in an activity form; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SignupOutcome(enum.StrEnum):
    SIGNED = "signed"  # 报名成功
    ALREADY = "already"  # 已经报过名
    FULL = "full"  # 名额已满
    CLOSED = "closed"  # 报名已截止或活动取消
    CANCELLED = "cancelled"  # 已取消报名
    NOT_SIGNED = "not_signed"  # 没有报名，无需取消
    STARTED = "started"  # 活动已开始，不能取消


@dataclass(frozen=True)
class ActivityView:
    """An activity as owners see it in chat."""

    id: int
    title: str
    place: str
    starts_at: datetime
    places_left: int

    @classmethod
    def of(cls, activity: Activity) -> ActivityView:
        return cls(id=activity.id, title=activity.title, place=activity.place, starts_at=activity.starts_at,
                   places_left=max(activity.capacity - activity.signed_count, 0))


@dataclass(frozen=True)
class SignupResult:
    outcome: SignupOutcome
    activity: ActivityView | None = None
    places_left: int = 0


async def create_activity(session: AsyncSession, *, community_id: int, title: str, place: str, starts_at: datetime,
                          signup_deadline: datetime, capacity: int, description: str = "",
                          staff_id: int | None = None, now: datetime | None = None) -> Activity:
    """A new activity open for sign-up until its deadline; checks every field."""
    now = now or utcnow()
    title, place = title.strip(), place.strip()
    if not title or len(title) > 60:
        raise ActivityError("title", "请填写活动名称（60 字以内）")
    if not place or len(place) > 60:
        raise ActivityError("place", "请填写活动地点（60 字以内）")
    if starts_at <= now:
        raise ActivityError("starts_at", "活动时间要在现在之后")
    if signup_deadline <= now:
        raise ActivityError("signup_deadline", "报名截止时间要在现在之后")
    if signup_deadline > starts_at:
        raise ActivityError("signup_deadline", "报名截止时间不能晚于活动开始")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ActivityError("capacity", f"名额请填 1 到 {MAX_CAPACITY} 之间的数字")
    activity = Activity(community_id=community_id, title=title, place=place, starts_at=starts_at,
                        signup_deadline=signup_deadline, capacity=capacity, description=description.strip()[:2000],
                        created_by=staff_id)
    session.add(activity)
    await session.flush()
    record_event(session, entity_type="activity", entity_id=activity.id, action="create",
                 actor=Actor.of_staff_id(staff_id) if staff_id else SYSTEM, community_id=community_id,
                 data={"title": title, "capacity": capacity})
    return activity


async def cancel_activity(session: AsyncSession, *, activity: Activity, actor: Actor) -> None:
    """Close sign-ups for good; cancelling twice, or at the same moment as someone else, is ActivityError."""
    try:
        await apply_transition(session, activity, table=TRANSITIONS, action="cancel", actor=actor,
                               entity_type="activity", reference=activity.title)
    except TransitionNotAllowed as exc:
        raise ActivityError("status", "这个活动已经取消了") from exc


async def open_activities(session: AsyncSession, *, community_ids: set[int], now: datetime | None = None,
                          limit: int = 9) -> list[ActivityView]:
    """Activities still taking sign-ups in these communities, soonest first."""
    now = now or utcnow()
    if not community_ids:
        return []
    return [ActivityView.of(a) for a in await session.scalars(select(Activity).where(
        Activity.community_id.in_(community_ids), Activity.status == ActivityStatus.OPEN,
        Activity.signup_deadline > now).order_by(Activity.starts_at).limit(limit))]


async def my_signups(session: AsyncSession, *, openid: str, now: datetime | None = None) -> list[ActivityView]:
    """Activities this owner is signed up for that have not started yet."""
    now = now or utcnow()
    return [ActivityView.of(a) for a in await session.scalars(select(Activity).join(ActivitySignup).where(
        ActivitySignup.openid == openid, ActivitySignup.status == SignupStatus.SIGNED,
        Activity.starts_at > now, Activity.status == ActivityStatus.OPEN).order_by(Activity.starts_at))]


async def activity_view(session: AsyncSession, *, activity_id: int) -> ActivityView | None:
    activity = await session.get(Activity, activity_id)
    return ActivityView.of(activity) if activity else None


async def sign_up(session: AsyncSession, *, activity_id: int, openid: str, name: str = "", phone: str = "",
                  household_id: int | None = None, now: datetime | None = None) -> SignupResult:
    """Take one place, atomically: full or past the deadline → no place; signing up twice → ALREADY."""
    now = now or utcnow()
    # The conditional UPDATE comes first: it takes the write lock before anything is read (SQLite upgrades no
    # read snapshot; PostgreSQL re-checks the WHERE on the locked row).
    taken = (await session.execute(update(Activity).where(
        Activity.id == activity_id, Activity.status == ActivityStatus.OPEN, Activity.signup_deadline > now,
        Activity.signed_count < Activity.capacity).values(signed_count=Activity.signed_count + 1)
        .execution_options(synchronize_session=False))).rowcount == 1
    activity = await session.get(Activity, activity_id, populate_existing=True)
    if activity is None:
        return SignupResult(SignupOutcome.CLOSED)
    existing = await session.scalar(select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                                                 ActivitySignup.openid == openid))
    if existing is not None and existing.status == SignupStatus.SIGNED:
        if taken:
            activity.signed_count -= 1
        return SignupResult(SignupOutcome.ALREADY, ActivityView.of(activity), activity.capacity - activity.signed_count)
    if not taken:
        closed = activity.status != ActivityStatus.OPEN or activity.signup_deadline <= now
        return SignupResult(SignupOutcome.CLOSED if closed else SignupOutcome.FULL, ActivityView.of(activity), 0)
    if existing is None:
        session.add(ActivitySignup(activity_id=activity_id, community_id=activity.community_id, openid=openid,
                                   household_id=household_id, name=name[:50], phone=phone[:20]))
    else:
        existing.status = SignupStatus.SIGNED
        existing.name, existing.phone, existing.household_id = name[:50], phone[:20], household_id
    await session.flush()
    record_event(session, entity_type="activity", entity_id=activity_id, action="sign_up", actor=Actor.owner(openid),
                 community_id=activity.community_id)
    return SignupResult(SignupOutcome.SIGNED, ActivityView.of(activity), activity.capacity - activity.signed_count)


async def cancel_signup(session: AsyncSession, *, activity_id: int, openid: str,
                        now: datetime | None = None) -> SignupResult:
    """Give the place back (until the activity starts)."""
    now = now or utcnow()
    not_started = select(Activity.id).where(Activity.id == activity_id, Activity.starts_at > now)
    changed = (await session.execute(update(ActivitySignup).where(
        ActivitySignup.activity_id.in_(not_started), ActivitySignup.openid == openid,
        ActivitySignup.status == SignupStatus.SIGNED).values(status=SignupStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False))).rowcount == 1
    if changed:
        await session.execute(update(Activity).where(Activity.id == activity_id, Activity.signed_count > 0)
                              .values(signed_count=Activity.signed_count - 1)
                              .execution_options(synchronize_session=False))
    activity = await session.get(Activity, activity_id, populate_existing=True)
    if activity is None:
        return SignupResult(SignupOutcome.NOT_SIGNED)
    if not changed:
        started = activity.starts_at <= now
        return SignupResult(SignupOutcome.STARTED if started else SignupOutcome.NOT_SIGNED, ActivityView.of(activity))
    record_event(session, entity_type="activity", entity_id=activity_id, action="cancel_signup",
                 actor=Actor.owner(openid), community_id=activity.community_id)
    return SignupResult(SignupOutcome.CANCELLED, ActivityView.of(activity), activity.capacity - activity.signed_count)


async def signups_of(session: AsyncSession, *, activity_id: int) -> list[ActivitySignup]:
    """Everyone signed up (not cancelled), in the order they signed up."""
    return list(await session.scalars(select(ActivitySignup).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.status == SignupStatus.SIGNED)
        .order_by(ActivitySignup.created_at, ActivitySignup.id)))
