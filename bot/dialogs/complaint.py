"""投诉: type → (for 服务态度: which staff member) → description → optional photos → anonymity toward the staff
handling it → confirm → one service call: workflows.complaints.service.open_complaint."""

from __future__ import annotations

import uuid
from typing import Any

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.repair import always, parse_description, store_photo
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot
from bot.dialogs.words import is_emoji_only
from workflows.community.service import get_household
from workflows.complaints import service as complaints
from workflows.complaints.models import COMPLAINT_CATEGORIES
from workflows.db import transaction


async def new_submission_key(ctx: DialogContext) -> str:
    return f"{ctx.openid}:complaint:{uuid.uuid4().hex[:16]}"


async def category_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(name, name) for name in COMPLAINT_CATEGORIES]


async def not_about_staff(ctx: DialogContext) -> bool:
    return ctx.values.get("category") != "服务态度"


async def parse_about(text: str, ctx: DialogContext) -> str:
    name = text.strip()
    if not name or is_emoji_only(name) or len(name) > 20:
        raise Invalid("请说工作人员的名字或称呼，不知道可以回复“跳过”。")
    return name


async def anonymous_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(True, t.COMPLAINT_ANON_YES, ("是", "要", "需要")),
            Choice(False, t.COMPLAINT_ANON_NO, ("否", "不要", "不用", "不需要"))]


async def summary(ctx: DialogContext) -> str:
    values = ctx.values
    about = f"（关于：{values['about']}）" if values.get("about") else ""
    return t.COMPLAINT_SUMMARY.format(category=values["category"], about=about,
                                      description=values.get("description", ""),
                                      photos=len(values.get("photos") or []),
                                      anonymous="是" if values.get("anonymous") else "否")


async def submit_complaint(ctx: DialogContext) -> str:
    values: dict[str, Any] = ctx.values
    home = ctx.owner.households[0] if ctx.owner.households else None
    community_id = home.community_id if home else ctx.owner.default_community_id
    async with transaction(ctx.runtime.sessions) as session:
        subject = None
        if values.get("about"):
            subject = await complaints.find_staff_by_name(session, community_id=community_id, name=values["about"])
        household = await get_household(session, household_id=home.household_id) if home else None
        complaint = await complaints.open_complaint(
            session, community_id=community_id, openid=ctx.openid, category=values["category"],
            description=values.get("description", ""), household_id=home.household_id if home else None,
            resident_id=home.resident_id if home else None,
            building_id=household.building_id if household else None, photos=list(values.get("photos") or []),
            anonymous=bool(values.get("anonymous")), about_staff_id=subject.id if subject else None,
            about_staff_text=values.get("about") or "", submission_key=values["_key"])
        number = complaint.number
    return t.COMPLAINT_SUBMITTED.format(number=number)


COMPLAINT = Dialog(
    name="complaint", title="投诉", menu_key="COMPLAINT", triggers=("投诉", "我要投诉", "投诉建议"),
    description="投诉：噪音、环境卫生、停车、邻里纠纷、服务态度、安全隐患等问题，可以匿名",
    slots=(
        Slot("_key", "", skip_if=always, default=new_submission_key, accepts=frozenset()),  # never prefilled
        Slot("category", t.COMPLAINT_CATEGORY, choices=category_choices, label="类型", example="噪音"),
        Slot("about", t.COMPLAINT_ABOUT, parse=parse_about, optional=True, skip_if=not_about_staff,
             label="被投诉人", example="王师傅"),
        Slot("description", t.COMPLAINT_DESCRIPTION, parse=parse_description, label="情况",
             example=t.COMPLAINT_DESCRIPTION_EXAMPLE),
        Slot("photos", t.COMPLAINT_PHOTOS, parse=store_photo, repeatable=True, optional=True, label="照片",
             accepts=frozenset({"image", "text"}), display=lambda v: f"{len(v or [])} 张"),
        Slot("anonymous", t.COMPLAINT_ANONYMOUS, choices=anonymous_choices, label="匿名",
             display=lambda v: "是" if v else "否"),
    ),
    confirm=summary, submit=submit_complaint,
)
