"""活动报名 and 取消报名: pick an open activity (capacity and deadline enforced atomically by the service)."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs.spec import Abort, Choice, Dialog, Slot, examples_of
from workflows.activities.service import (
    ActivityView,
    SignupOutcome,
    activity_view,
    cancel_signup,
    my_signups,
    open_activities,
    sign_up,
)
from workflows.clock import local
from workflows.db import transaction

NONE_OPEN = "目前没有正在报名的活动。有新活动时我们会在公告里通知您。"
NONE_SIGNED = "您目前没有报名任何活动。想报名请发送「活动报名」。"
PICK = "正在报名的活动如下，回复序号报名："
PICK_CANCEL = "您报名的活动如下，回复序号取消报名："
CONFIRM_SIGNUP = "您要报名：\n{summary}\n报名人：{name}\n回复 1 确认报名，回复 2 修改。"
CONFIRM_CANCEL = "您要取消报名：\n{summary}\n回复 1 确认取消，回复 2 修改。"
REPLIES = {
    SignupOutcome.SIGNED: "报名成功！{title}，{when}，地点：{place}。到时见～\n如需取消，请发送「取消报名」。",
    SignupOutcome.ALREADY: "您已经报过名了：{title}，{when}。",
    SignupOutcome.FULL: "很抱歉，「{title}」的名额已经满了。下次活动请早点报名～",
    SignupOutcome.CLOSED: "很抱歉，「{title}」的报名已经截止了。",
    SignupOutcome.CANCELLED: "已为您取消「{title}」的报名。",
    SignupOutcome.NOT_SIGNED: "您没有报名「{title}」，不需要取消。",
    SignupOutcome.STARTED: "「{title}」已经开始了，不能再取消报名。",
}


def _when(activity: ActivityView) -> str:
    return local(activity.starts_at).strftime("%m月%d日 %H:%M")


def _summary(activity: ActivityView) -> str:
    return f"{activity.title}\n时间：{_when(activity)}\n地点：{activity.place}"


async def open_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        rows = await open_activities(session, community_ids=ctx.owner.community_ids)
    if not rows:
        raise Abort(NONE_OPEN)
    return [Choice(a.id, f"{a.title}（{_when(a)}，{a.place}，剩 {a.places_left} 个名额）")
            for a in rows]


async def signed_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        rows = await my_signups(session, openid=ctx.openid)
    if not rows:
        raise Abort(NONE_SIGNED)
    return [Choice(a.id, f"{a.title}（{_when(a)}）") for a in rows]


async def _activity(ctx: DialogContext) -> ActivityView:
    async with ctx.runtime.sessions() as session:
        activity = await activity_view(session, activity_id=ctx.values["activity"])
    if activity is None:
        raise Abort(NONE_OPEN)
    return activity


async def confirm_signup(ctx: DialogContext) -> str:
    home = ctx.owner.households[0]
    return CONFIRM_SIGNUP.format(summary=_summary(await _activity(ctx)), name=home.resident_name)


async def confirm_cancel(ctx: DialogContext) -> str:
    return CONFIRM_CANCEL.format(summary=_summary(await _activity(ctx)))


def _reply(outcome: SignupOutcome, activity: ActivityView | None) -> str:
    if activity is None:
        return NONE_OPEN
    return REPLIES[outcome].format(title=activity.title, when=_when(activity), place=activity.place)


async def submit_signup(ctx: DialogContext) -> str:
    home = ctx.owner.households[0]
    async with transaction(ctx.runtime.sessions) as session:
        result = await sign_up(session, activity_id=ctx.values["activity"], openid=ctx.openid,
                               name=home.resident_name, phone=home.resident_phone, household_id=home.household_id)
    return _reply(result.outcome, result.activity)


async def submit_cancel(ctx: DialogContext) -> str:
    async with transaction(ctx.runtime.sessions) as session:
        result = await cancel_signup(session, activity_id=ctx.values["activity"], openid=ctx.openid)
    return _reply(result.outcome, result.activity)


ACTIVITY_SIGNUP = Dialog(
    name="activity_signup", title="活动报名", menu_key="ACTIVITIES", requires_binding=True,
    triggers=("活动报名", "报名活动", "社区活动", "活动", "报名"),
    description="活动报名：报名参加小区组织的活动，查看名额和时间",
    examples=examples_of("activity_signup"), keywords=r"活动|报名",
    excludes=r"谁教|谁组织|(在|是)哪|活动(室|中心|场地)|别.{0,4}推|不要.{0,4}推|推.{0,8}(消息|通知)",
    slots=(Slot("activity", PICK, choices=open_choices, label="活动"),),
    confirm=confirm_signup, submit=submit_signup,
)

ACTIVITY_CANCEL = Dialog(
    name="activity_cancel", title="取消报名", requires_binding=True,
    triggers=("取消报名", "不参加了", "退出报名"),
    description="取消报名：取消已经报名的活动",
    examples=examples_of("activity_cancel"), supersedes=("activity_signup",),
    keywords=r"(取消|撤|退出|退掉).{0,6}(报名|活动)|(报名|活动).{0,8}(取消|撤|退出|退掉)|不(参加|去)了",
    slots=(Slot("activity", PICK_CANCEL, choices=signed_choices, label="活动"),),
    confirm=confirm_cancel, submit=submit_cancel,
)
