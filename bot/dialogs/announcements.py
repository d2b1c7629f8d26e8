"""最新公告: the community's latest announcements (pinned first), numbered; a number shows the whole text."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs.spec import Abort, Choice, Dialog, Slot, examples_of
from workflows.announcements.service import announcement_view, latest_for_owner
from workflows.clock import local

NONE_YET = "暂时没有新公告。有新通知时，我们会第一时间推送给您。"
PROMPT = "最新公告如下，回复序号可查看全文："
GONE = "这条公告已经撤回了。"


async def announcement_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        rows = await latest_for_owner(session, community_ids=ctx.owner.community_ids,
                                      household_ids=[h.household_id for h in ctx.owner.households], limit=5)
    if not rows:
        raise Abort(NONE_YET)
    return [Choice(a.id, f"{'【置顶】' if a.pinned else ''}{a.title}（{local(a.published_at).strftime('%m月%d日')}）")
            for a in rows if a.published_at is not None]


async def show_announcement(ctx: DialogContext) -> str:
    async with ctx.runtime.sessions() as session:
        announcement = await announcement_view(session, announcement_id=ctx.values["announcement"])
    if announcement is None or not announcement.published:
        return GONE
    when = local(announcement.published_at).strftime("%Y年%m月%d日") if announcement.published_at else ""
    return f"【{announcement.title}】\n{announcement.body}\n\n{when}发布"


ANNOUNCEMENTS = Dialog(
    name="announcements", title="最新公告", menu_key="ANNOUNCEMENTS",
    triggers=("最新公告", "公告", "通知", "小区公告", "物业通知"),
    description="最新公告：查看小区的通知和公告，例如停水停电、活动通知",
    examples=examples_of("announcements"), lookup=True, keywords=r"通知|公告",
    slots=(Slot("announcement", PROMPT, choices=announcement_choices, label="公告", exit_on_mismatch=True),),
    submit=show_announcement,
)
