"""投诉: type → description → (for 服务态度, unless the description says who: which staff member) → optional
photos → confirm → one service call: workflows.complaints.service.open_complaint. The opening message fills type and
description ("投诉噪音 楼上半夜蹦迪"); anonymity toward the staff handling it is asked only when the owner mentions it
(匿名、别说是我), and can be changed at the confirmation."""

from __future__ import annotations

import re
from typing import Any

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.parsers import clean, folded, parse_description, store_photo
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot, SlotValues, examples_of
from bot.dialogs.words import is_emoji_only
from workflows.complaints.intake import file_complaint
from workflows.complaints.models import COMPLAINT_CATEGORIES
from workflows.db import transaction


async def category_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(name, name) for name in COMPLAINT_CATEGORIES]


CATEGORY_WORDS = (("噪音", r"噪音|噪声|吵|蹦迪|装修声|砸墙|音乐|广场舞|拖椅子|咣咣|电钻|打钻|冲击钻|跳绳|咚咚|唱歌"
                            r"|K歌|ktv|KTV|音响"),
                  ("宠物", r"宠物|狗|猫|遛狗|狗屎"),
                  ("停车", r"停车|车位|乱停|占道|堵在|挡路|白车|车子|车停|把车"),
                  ("环境卫生", r"卫生|垃圾|脏|臭|清洁|打扫|没人扫|保洁|油烟|烧烤|异味|气味|熏|烟头|小广告|乱贴|牛皮癣"),
                  ("服务态度", r"态度|服务态度|不耐烦|说话很冲|骂人"
                            r"|(保安|保洁|管家|前台|客服|师傅|物业的人|工作人员).{0,6}(吼|骂|凶|嚷|甩脸|翻白眼|爱答不理)"),
                  ("安全隐患", r"安全|消防|隐患|高空抛物|电动车进楼|飞线|杂物|(楼道|走廊|过道|楼梯).{0,6}堆"
                               r"|堆(满|放|了|着)"),
                  ("邻里纠纷", r"邻居|邻里|纠纷"))
ANONYMOUS = re.compile(r"匿名|别说是我|不要说是我|别告诉他是我|不想让人知道")
STAFF = re.compile(r"保安|保洁|师傅|客服|经理|管家|门卫|阿姨|工作人员|物业的人|前台|门岗")
TRIGGER = re.compile(r"^(我要投诉|我想投诉|投诉一下|投诉)[\s:：，,。]*|[\s，,。]*(我要)?投诉[吧啊。！!]*$")


def category_of(text: str) -> str | None:
    word = folded(text)
    for name in sorted(COMPLAINT_CATEGORIES, key=len, reverse=True):
        if name in word and name != "其他":
            return name
    found = next((name for name, pattern in CATEGORY_WORDS if re.search(pattern, word)), None)
    return found or ("其他" if "其他" in word and "其他" in COMPLAINT_CATEGORIES else None)


async def extract_complaint(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"投诉噪音 隔壁装修天天早上七点就开始砸墙" → 噪音 and the description, as typed."""
    found: dict[str, Any] = {}
    category = category_of(text)
    if category:
        found["category"] = category
    body = TRIGGER.sub("", clean(text)).strip(" ，,。:：")
    rest = folded(body)
    for name in (*COMPLAINT_CATEGORIES, "卫生", "安全", "其他"):
        rest = rest.replace(name, "")
    if len(re.sub(r"[^\u4e00-\u9fff]", "", rest)) >= 4:
        found["description"] = body
    if ANONYMOUS.search(folded(text)):
        found["anonymous"] = True
    return found


async def parse_category(text: str, ctx: DialogContext) -> str | SlotValues:
    found = await extract_complaint(text, ctx)
    if "category" not in found:
        raise Invalid(t.COMPLAINT_CATEGORY_INVALID)
    more = {k: v for k, v in found.items() if k != "category" and k not in ctx.values}
    return SlotValues({"category": found["category"], **more}) if more else found["category"]


def not_about_staff(ctx: DialogContext) -> bool:
    """Ask who only for 服务态度, and only when the description does not say it already (门岗保安说话很冲)."""
    return ctx.values.get("category") != "服务态度" or bool(STAFF.search(ctx.values.get("description", "")))


def anonymity_not_mentioned(ctx: DialogContext) -> bool:
    return "anonymous" not in ctx.values


async def parse_about(text: str, ctx: DialogContext) -> str:
    name = text.strip()
    if not name or is_emoji_only(name) or len(name) > 20:
        raise Invalid("请说工作人员的名字或称呼，不知道可以回复“跳过”。")
    return name


async def not_anonymous(ctx: DialogContext) -> bool:
    return False


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
    async with transaction(ctx.runtime.sessions) as session:
        receipt = await file_complaint(
            session, community_id=home.community_id if home else ctx.owner.default_community_id, openid=ctx.openid,
            category=values["category"], description=values.get("description", ""),
            household_id=home.household_id if home else None, resident_id=home.resident_id if home else None,
            photos=list(values.get("photos") or []), anonymous=bool(values.get("anonymous")),
            about=values.get("about") or "", submission_key=ctx.submission_key)
    return t.COMPLAINT_SUBMITTED.format(number=receipt.number)


COMPLAINT = Dialog(
    name="complaint", title="投诉", menu_key="COMPLAINT", triggers=("投诉", "我要投诉", "投诉建议"),
    description="投诉：噪音、环境卫生、停车、邻里纠纷、服务态度、安全隐患等问题，可以匿名",
    examples=examples_of("complaint"),
    keywords=r"投诉|太吵|吵死|噪音|扰民|乱停|占了|(?<!吸)油烟(?!机)|态度|乱扔|没人管|高空抛物|往(楼)?下扔|扔下来|堆杂物|不干净"
             r"|路堵|堵路|挡路|(?<!车都)(?<!车)堵着|堆(了|着|放|满)?.{0,4}(东西|杂物|纸箱|箱子|垃圾)|臭烘烘|脏乱|管管|管一管|说说他"
             r"|[把将].{0,2}(路|过道|通道|楼道|楼梯|门口|出口|车位).{0,2}[堵挡占]",
    excludes=r"投诉(电话|流程|怎么|要|多久|渠道|热线|箱)|不是投诉|(不要|别|不用|甭|没想|不是要)投诉|白投诉|投诉(了|过)?.{0,6}(有没有人|有人管|没人管|有用)"
             r"|投诉(完|以后|之后|咗).{0,10}(几天|多久|多长时间|答复|回复|覆|结果)|投诉我(家)?的?(狗|猫|孩子|小孩|老人|车)"
             r"|表扬|(他|她|老头子|老伴|邻居|楼上|楼下|对门|隔壁).{0,8}说(要|想)?(去)?(物业)?投诉|被.{0,8}投诉"
             # "帮我把之前投诉的那个撤了吧": withdrawing a complaint already filed
             r"|投诉.{0,8}(撤|撤回|撤销|撤掉|不投了|作废)|(撤回|撤销|取消).{0,4}投诉",
    slots=(
        Slot("category", t.COMPLAINT_CATEGORY, choices=category_choices, parse=parse_category, label="类型",
             example="噪音", free_text=True),
        Slot("description", t.COMPLAINT_DESCRIPTION, parse=parse_description, label="情况",
             example=t.COMPLAINT_DESCRIPTION_EXAMPLE, free_text=True),
        Slot("about", t.COMPLAINT_ABOUT, parse=parse_about, optional=True, skip_if=not_about_staff,
             label="被投诉人", example="王师傅"),
        Slot("photos", t.COMPLAINT_PHOTOS, parse=store_photo, repeatable=True, optional=True, label="照片",
             accepts=frozenset({"image", "text"}), display=lambda v: f"{len(v or [])} 张",
             free_text=True, text_adds_to="description"),
        Slot("anonymous", t.COMPLAINT_ANONYMOUS, choices=anonymous_choices, label="匿名",
             skip_if=anonymity_not_mentioned, default=not_anonymous, display=lambda v: "是" if v else "否"),
    ),
    confirm=summary, submit=submit_complaint, extract=extract_complaint,
)
