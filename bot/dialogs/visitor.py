"""访客登记: household → visitor's name → date and time window → people → plate (optional) → phone (optional) →
single or multi-use → confirm → one service call: workflows.visitors.service.issue_visitor_pass. The owner gets the
backup code in the reply and the QR code as an image through the outbox. Free text fills several slots at once:
"明天下午三点朋友来，车牌沪A12345"."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from bot.context import DialogContext
from bot.dialogs import visitor_texts as t
from bot.dialogs.parsers import PHONE
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot, examples_of
from bot.dialogs.when import PastWindow, parse_window, show_window
from bot.dialogs.words import is_emoji_only
from bot.qr import save_pass_qr
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.outbox.service import enqueue
from workflows.visitors import service as visitors
from workflows.visitors.plates import find_plate, is_valid_plate, normalize_plate
from workflows.visitors.policy import visitor_policy
from workflows.visitors.tokens import pass_key

MAX_AHEAD = timedelta(days=30)
_CN_NUMBERS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
TIME_PHRASE = re.compile(
    r"(?:今天|明天|后天|大后天|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}[月/.-]\d{1,2}[日号]?)?"
    r"(?:上午|早上|中午|下午|傍晚|晚上|白天)?"
    r"(?:(?:\d{1,2}|十[一二]?|[一二两三四五六七八九十])[点:：时]半?(?:\d{1,2}分?)?)?"
    r"(?:(?:到|至|-|~)(?:\d{1,2}|十[一二]?|[一二两三四五六七八九十])[点:：时]?)?")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


async def household_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(h.household_id, f"{h.community_name} {h.label}") for h in ctx.owner.households]


def one_household(ctx: DialogContext) -> bool:
    return len(ctx.owner.households) == 1


async def first_household(ctx: DialogContext) -> int:
    return ctx.owner.households[0].household_id


async def parse_name(text: str, ctx: DialogContext) -> str:
    name = _clean(text)
    if not name or len(name) > 20 or is_emoji_only(name) or name.isdigit():
        raise Invalid(t.VISITOR_NAME_INVALID)
    return name


async def parse_when(text: str, ctx: DialogContext) -> dict[str, Any]:
    try:
        window = parse_window(text)
    except PastWindow as exc:
        raise Invalid(t.VISITOR_WHEN_PAST) from exc
    except (ValueError, KeyError) as exc:
        raise Invalid(t.VISITOR_WHEN_INVALID) from exc
    if window.start is None or window.end is None:
        raise Invalid(t.VISITOR_WHEN_ANY)
    if window.start - utcnow() > MAX_AHEAD or window.end - window.start > visitors.MAX_WINDOW:
        raise Invalid(t.VISITOR_WHEN_TOO_FAR)
    return window.to_json(_clean(text))


async def parse_people(text: str, ctx: DialogContext) -> int:
    folded = _clean(text)
    match = re.search(r"(\d{1,2}|[一两二三四五六七八九十])\s*(?:个|位|人|名)?", folded)
    if not match:
        raise Invalid(t.VISITOR_PEOPLE_INVALID)
    raw = match.group(1)
    people = int(raw) if raw.isdigit() else _CN_NUMBERS[raw]
    if not 1 <= people <= 20:
        raise Invalid(t.VISITOR_PEOPLE_INVALID)
    return people


async def parse_plate(text: str, ctx: DialogContext) -> str:
    plate = normalize_plate(re.sub(r"^(车牌号?|车牌是)", "", _clean(text)))
    if not is_valid_plate(plate):
        raise Invalid(t.VISITOR_PLATE_INVALID)
    return plate


async def parse_phone(text: str, ctx: DialogContext) -> str:
    phone = re.sub(r"[\s\-－()]", "", _clean(text))
    if not PHONE.match(phone):
        raise Invalid(t.VISITOR_PHONE_INVALID)
    return phone


async def uses_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice("once", t.VISITOR_USES_ONCE, ("一次", "单次")),
            Choice("many", t.VISITOR_USES_MANY, ("多次", "不限"))]


async def extract_visit(text: str, ctx: DialogContext) -> dict[str, Any]:
    """Fill what a free sentence says: 明天下午三点朋友来，车牌沪A12345 → when, plate (and people, phone, name)."""
    folded = _clean(text)
    found: dict[str, Any] = {}
    plate = find_plate(folded)
    if plate:
        found["plate"] = plate
        folded = folded.replace(plate, " ")
    phone = re.search(r"1[3-9]\d{9}", folded)
    if phone:
        found["phone"] = phone.group(0)
    for match in TIME_PHRASE.finditer(folded):
        if len(match.group(0)) >= 2:
            try:
                found["when"] = await parse_when(match.group(0), ctx)
                break
            except Invalid:
                continue
    people = re.search(r"(\d{1,2}|[一两二三四五六七八九十])\s*(?:个|位)(?:人|朋友|亲戚|客人|访客)?", folded)
    if people:
        found["people"] = await parse_people(people.group(0), ctx)
    name = re.search(r"(?:叫|名字是|姓名[:：]?)([\u4e00-\u9fa5]{2,4})", folded)
    if name:
        found["name"] = name.group(1)
    return found


async def summary(ctx: DialogContext) -> str:
    values = ctx.values
    household = next((f"{h.community_name} {h.label}" for h in ctx.owner.households
                      if h.household_id == values.get("household")), "")
    return t.VISITOR_SUMMARY.format(name=values["name"], people=values.get("people", 1),
                                    when=show_window(values.get("when")), household=household,
                                    plate=values.get("plate") or t.NONE, phone=values.get("phone") or t.NONE,
                                    uses=t.VISITOR_USES_ONCE if values.get("uses") == "once" else t.VISITOR_USES_MANY)


async def submit_visit(ctx: DialogContext) -> str:
    values = ctx.values
    home = next(h for h in ctx.owner.households if h.household_id == values["household"])
    settings = ctx.runtime.settings
    key = pass_key(secret_key=settings.secret_key, visitor_pass_secret=settings.visitor_pass_secret)
    when = values["when"]
    async with transaction(ctx.runtime.sessions) as session:
        policy = await visitor_policy(session, community_id=home.community_id)
        issued = await visitors.issue_visitor_pass(
            session, key=key, community_id=home.community_id, household_id=home.household_id, openid=ctx.openid,
            visitor_name=values["name"], valid_from=datetime.fromisoformat(when["from"]),
            valid_until=datetime.fromisoformat(when["to"]), visitor_phone=values.get("phone") or "",
            plate=values.get("plate") or "", people=values.get("people") or 1,
            max_uses=1 if values.get("uses") == "once" else None,
            submission_key=ctx.submission_key)
        number = issued.visitor_pass.number
        if issued.backup_code is None:
            return t.VISITOR_SUBMITTED_AGAIN.format(number=number)
        path = save_pass_qr(settings.media_dir, number=number, token=issued.token)
        await enqueue(session, kind="wechat.image", community_id=home.community_id,
                      dedup_key=f"visitor-pass:{issued.visitor_pass.id}:qr",
                      payload={"openid": ctx.openid, "path": path, "ref": number, "event": "visitor_pass"})
    parking = t.VISITOR_PARKING.format(minutes=policy.free_parking_minutes) if values.get("plate") else ""
    return t.VISITOR_SUBMITTED.format(name=values["name"], number=number, when=show_window(when),
                                      code=issued.backup_code, parking=parking)


VISITOR = Dialog(
    name="visitor", title="访客登记", menu_key="VISITOR", triggers=("访客", "访客登记", "来访", "登记访客"),
    description="访客登记：朋友、家人或其他客人要来，提前登记，给访客发通行二维码和备用码",
    examples=examples_of("visitor"), explicit_only=True,  # its language (#16): how a visitor gets in is for the FAQ
    keywords=r"访客|来访|客人|朋友来|亲戚|放行|通行码|进小区|(给|帮)(他|她|他们)登记|开.{0,2}门",
    # a broken door reader, a lift opening by itself: repairs
    excludes=r"刷不开|刷不了|门禁.{0,4}(坏|失灵|不好使|没反应)|电梯|升降梯|轿厢|自己开|有毛病|坏了",
    requires_binding=True,
    slots=(
        Slot("household", t.VISITOR_HOUSEHOLD, choices=household_choices, skip_if=one_household,
             default=first_household, label="房屋"),
        Slot("name", t.VISITOR_NAME, parse=parse_name, label="访客", example=t.VISITOR_NAME_EXAMPLE),
        Slot("when", t.VISITOR_WHEN, parse=parse_when, label="时间", display=show_window,
             example=t.VISITOR_WHEN_EXAMPLE),
        Slot("people", t.VISITOR_PEOPLE, parse=parse_people, label="人数", example="2"),
        Slot("plate", t.VISITOR_PLATE, parse=parse_plate, optional=True, label="车牌", example=t.VISITOR_PLATE_EXAMPLE),
        Slot("phone", t.VISITOR_PHONE, parse=parse_phone, optional=True, label="手机", example="13912345678"),
        Slot("uses", t.VISITOR_USES, choices=uses_choices, label="次数",
             display=lambda v: t.VISITOR_USES_ONCE if v == "once" else t.VISITOR_USES_MANY),
    ),
    extract=extract_visit, confirm=summary, submit=submit_visit,
)
