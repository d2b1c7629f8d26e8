"""报修: category → where (one of the owner's households, or a public area in words or as a WeChat location) →
description → photos → preferred time → contact phone → (only when an open ticket like it exists) add to it or
still create → confirm → one service call: workflows.repairs.service.open_repair or add_details."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot
from bot.dialogs.when import PastWindow, parse_window, show_window, window_bounds
from bot.dialogs.words import is_emoji_only
from bot.services import MediaUnavailable
from workflows.community.service import get_community, get_household
from workflows.db import transaction
from workflows.repairs import service as repairs
from workflows.repairs.dispatch import category_specs
from workflows.repairs.duplicates import distance_m
from workflows.repairs.models import STATUS_LABELS, Priority, RepairTicket
from workflows.staff.models import StaffUser

DESCRIPTION_LIMIT = 500
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
CATEGORY_WORDS = (("电梯", "电梯"), ("堵", "管道疏通"), ("下水", "管道疏通"), ("马桶", "管道疏通"),
                  ("水", "水电"), ("电", "水电"), ("灯", "水电"), ("插座", "水电"), ("门", "门窗"), ("窗", "门窗"),
                  ("锁", "门窗"), ("路灯", "公共设施"), ("健身", "公共设施"), ("道闸", "公共设施"))


def _community_id(ctx: DialogContext) -> int:
    where = ctx.values.get("where") or {}
    return where.get("community_id") or ctx.owner.default_community_id


async def new_submission_key(ctx: DialogContext) -> str:
    """One key per dialog: a submit delivered twice finds the ticket the first one made."""
    return f"{ctx.openid}:repair:{uuid.uuid4().hex[:16]}"


async def always(ctx: DialogContext) -> bool:
    return True


async def category_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        specs = await category_specs(session, community_id=ctx.owner.default_community_id)
    return [Choice(spec.name, spec.name) for spec in specs]


async def parse_category(text: str, ctx: DialogContext) -> str:
    """"水管漏了" → 水电 when no label matched."""
    names = [choice.value for choice in await category_choices(ctx)]
    for word, category in CATEGORY_WORDS:
        if word in text and category in names:
            return category
    raise Invalid("请回复序号选择类别。")


async def where_choices(ctx: DialogContext) -> list[Choice]:
    homes = [Choice({"household_id": h.household_id, "community_id": h.community_id, "label": h.label,
                     "public": False}, h.label) for h in ctx.owner.households]
    return [*homes, Choice({"public": True, "text": ""}, t.REPAIR_WHERE_PUBLIC, ("公共区域", "公共", "楼道"))]


async def _location_value(ctx: DialogContext) -> dict[str, Any]:
    """A WeChat location inside the community's radius, else Invalid with the distance."""
    location = ctx.inbound.location
    async with ctx.runtime.sessions() as session:
        community = await get_community(session, community_id=ctx.owner.default_community_id)
    if location is None or community is None or community.latitude is None or community.longitude is None:
        raise Invalid(t.REPAIR_LOCATION_UNKNOWN)
    metres = distance_m(location.latitude, location.longitude, community.latitude, community.longitude)
    if metres > community.radius_m:
        raise Invalid(t.REPAIR_LOCATION_OUTSIDE.format(community=community.name, metres=round(metres, -1)))
    return {"public": True, "text": location.label or "微信位置", "lat": location.latitude,
            "lon": location.longitude}


async def parse_where(text: str, ctx: DialogContext) -> dict[str, Any]:
    if ctx.inbound.msg_type == "location":
        return await _location_value(ctx)
    place = _clean(text)
    if len(place) < 2 or is_emoji_only(place):
        raise Invalid("请回复序号，或直接说明地点。")
    return {"public": True, "text": place[:100]}


async def place_known(ctx: DialogContext) -> bool:
    where = ctx.values.get("where") or {}
    return not where.get("public") or bool(where.get("text"))


async def parse_place(text: str, ctx: DialogContext) -> dict[str, Any]:
    value = await parse_where(text, ctx)
    ctx.values["where"] = value  # the public place completes the "where" answer
    return value


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


async def parse_description(text: str, ctx: DialogContext) -> str:
    description = _clean(text)
    if not description or is_emoji_only(description):
        raise Invalid(t.REPAIR_DESCRIPTION_EMPTY)
    ctx.values["description_truncated"] = len(description) > DESCRIPTION_LIMIT
    return description[:DESCRIPTION_LIMIT]


async def store_photo(text: str, ctx: DialogContext) -> str:
    """An image message is fetched and kept (bot/media.py); a failed download is told, and the dialog goes on."""
    if ctx.inbound.msg_type != "image":
        raise Invalid(t.REPAIR_PHOTO_EXPECTED)
    media = getattr(ctx.services, "media", None)
    try:
        if media is None:
            raise MediaUnavailable("no media store")
        return await media.store(ctx.inbound)
    except MediaUnavailable as exc:
        raise Invalid(t.REPAIR_PHOTO_FAILED) from exc


async def parse_when(text: str, ctx: DialogContext) -> dict[str, Any]:
    try:
        return parse_window(text, tz=ctx.runtime.settings.tz).to_json(_clean(text))
    except PastWindow as exc:
        raise Invalid(t.REPAIR_WHEN_PAST) from exc
    except ValueError as exc:
        raise Invalid(t.REPAIR_WHEN_INVALID) from exc


def _resident_phone(ctx: DialogContext) -> str:
    where = ctx.values.get("where") or {}
    for household in ctx.owner.households:
        if household.household_id == where.get("household_id") and household.resident_phone:
            return household.resident_phone
    return next((h.resident_phone for h in ctx.owner.households if h.resident_phone), "")


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone


async def phone_prompt(ctx: DialogContext) -> str:
    return t.REPAIR_PHONE if _resident_phone(ctx) else f"{t.REPAIR_PHONE}{t.REPAIR_PHONE_ASK}"


async def phone_choices(ctx: DialogContext) -> list[Choice]:
    phone = _resident_phone(ctx)
    return [Choice(phone, t.REPAIR_PHONE_USE.format(phone=_masked(phone)), ("好", "可以", "是"))] if phone else []


async def parse_phone(text: str, ctx: DialogContext) -> str:
    phone = re.sub(r"[\s\-－()]", "", _clean(text))
    if not PHONE.match(phone):
        raise Invalid(t.REPAIR_PHONE_INVALID)
    return phone


async def no_duplicate(ctx: DialogContext) -> bool:
    """Look for an open ticket this one repeats; remember it for the question, or skip the question."""
    values, where = ctx.values, ctx.values.get("where") or {}
    async with ctx.runtime.sessions() as session:
        found = await repairs.find_duplicate(
            session, community_id=_community_id(ctx), category=values["category"],
            household_id=where.get("household_id"), public_area=bool(where.get("public")),
            location_text=where.get("text") or where.get("label", ""), description=values.get("description", ""),
            latitude=where.get("lat"), longitude=where.get("lon"))
        if found is None:
            values.pop("_dup", None)
            return True
        ticket, match = found
        technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    values["_dup"] = {"id": ticket.id, "number": ticket.number, "status": STATUS_LABELS[ticket.status],
                      "category": ticket.category, "description": ticket.description[:60], "match": match,
                      "technician": f"，{technician.display_name}" if technician else ""}
    return False


async def duplicate_prompt(ctx: DialogContext) -> str:
    return t.REPAIR_DUPLICATE.format(**{k: v for k, v in ctx.values["_dup"].items() if k != "id"})


async def duplicate_choices(ctx: DialogContext) -> list[Choice]:
    dup = ctx.values["_dup"]
    return [Choice({"add": dup["id"]}, t.REPAIR_DUPLICATE_ADD.format(number=dup["number"]), ("补充", "追加")),
            Choice("new", t.REPAIR_DUPLICATE_NEW, ("新建", "仍然新建"))]


def show_where(value: dict | None) -> str:
    if not value:
        return ""
    return value.get("label") or value.get("text") or "公共区域"


async def summary(ctx: DialogContext) -> str:
    values = ctx.values
    description = values.get("description", "")
    if values.get("description_truncated"):
        description += t.REPAIR_DESCRIPTION_TRUNCATED.format(limit=DESCRIPTION_LIMIT)
    text = t.REPAIR_SUMMARY.format(category=values.get("category"), place=show_where(values.get("where")),
                                   description=description, photos=len(values.get("photos") or []),
                                   when=show_window(values.get("when")), phone=values.get("phone") or "")
    duplicate = values.get("duplicate")
    if isinstance(duplicate, dict) and values.get("_dup"):
        text += t.REPAIR_SUMMARY_ADD.format(number=values["_dup"]["number"])
    return text


async def submit_repair(ctx: DialogContext) -> str:
    """One service call in one transaction: add to the open ticket, or open a new one."""
    values, where = ctx.values, ctx.values.get("where") or {}
    duplicate, dup = values.get("duplicate"), values.get("_dup") or {}
    photos = list(values.get("photos") or [])
    async with transaction(ctx.runtime.sessions) as session:
        if isinstance(duplicate, dict):
            ticket = await session.get(RepairTicket, duplicate["add"])
            if ticket is not None and ticket.is_open:
                await repairs.add_details(session, ticket=ticket, openid=ctx.openid, photos=photos,
                                          description=values.get("description", ""), match=dup.get("match", ""),
                                          household_id=where.get("household_id"), submission_key=values["_key"])
                return t.REPAIR_ADDED.format(number=ticket.number, status=f"现在的状态：{ticket.status_label}。")
        household = None
        if where.get("household_id"):
            household = await get_household(session, household_id=where["household_id"])
        preferred_from, preferred_to = window_bounds(values.get("when"))
        resident_id = next((h.resident_id for h in ctx.owner.households
                            if h.household_id == where.get("household_id")), None)
        ticket = await repairs.open_repair(
            session, community_id=_community_id(ctx), openid=ctx.openid, category=values["category"],
            description=values.get("description", ""), household_id=where.get("household_id"),
            resident_id=resident_id, building_id=household.building_id if household else None,
            public_area=bool(where.get("public")), location_text=show_where(where), latitude=where.get("lat"),
            longitude=where.get("lon"), photos=photos, preferred_from=preferred_from, preferred_to=preferred_to,
            contact_phone=values.get("phone") or "", submission_key=values["_key"],
            duplicate_of_id=dup.get("id") if duplicate == "new" else None)
        technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
        community = await get_community(session, community_id=ticket.community_id)
        number, urgent = ticket.number, ticket.priority == Priority.URGENT
    reply = t.REPAIR_SUBMITTED.format(
        number=number, assigned=t.REPAIR_ASSIGNED.format(technician=technician.display_name) if technician else "")
    if urgent:
        reply += "\n" + t.REPAIR_SUBMITTED_URGENT.format(phone=community.phone if community else "")
    return reply


async def extract_repair(text: str, ctx: DialogContext) -> dict[str, Any]:
    """"报修 厨房水管漏水": the rest is the description, and a category when the words say it."""
    rest = re.sub(r"^(我要报修|报修|维修)\s*[:：，,]?", "", _clean(text)).strip()
    if len(rest) < 2 or is_emoji_only(rest):
        return {}
    found: dict[str, Any] = {"description": rest[:DESCRIPTION_LIMIT]}
    try:
        found["category"] = await parse_category(rest, ctx)
    except Invalid:
        pass
    return found


REPAIR = Dialog(
    name="repair", title="报修", menu_key="REPAIR", triggers=("报修", "我要报修", "维修", "报修服务"),
    description="报修：家里或公共区域的东西坏了（水电、门窗、电梯、管道堵塞等），请师傅上门",
    slots=(
        Slot("_key", "", skip_if=always, default=new_submission_key, accepts=frozenset()),  # never prefilled
        Slot("category", t.REPAIR_CATEGORY, choices=category_choices, parse=parse_category, label="类别",
             example="水电"),
        Slot("where", t.REPAIR_WHERE, choices=where_choices, parse=parse_where, label="地点",
             accepts=frozenset({"text", "location"}), display=show_where, example=t.REPAIR_PLACE_EXAMPLE),
        Slot("place", t.REPAIR_PLACE, parse=parse_place, skip_if=place_known, label="具体位置",
             accepts=frozenset({"text", "location"}), display=show_where, example=t.REPAIR_PLACE_EXAMPLE),
        Slot("description", t.REPAIR_DESCRIPTION, parse=parse_description, label="问题",
             example=t.REPAIR_DESCRIPTION_EXAMPLE),
        Slot("photos", t.REPAIR_PHOTOS, parse=store_photo, repeatable=True, optional=True, label="照片",
             accepts=frozenset({"image", "text"}), display=lambda v: f"{len(v or [])} 张"),
        Slot("when", t.REPAIR_WHEN, parse=parse_when, optional=True, label="上门时间", display=show_window,
             example=t.REPAIR_WHEN_EXAMPLE),
        Slot("phone", phone_prompt, choices=phone_choices, parse=parse_phone, label="联系电话",
             example="13800001234"),
        Slot("duplicate", duplicate_prompt, choices=duplicate_choices, skip_if=no_duplicate, label="已有工单",
             display=lambda v: "补充到已有工单" if isinstance(v, dict) else "新建"),
    ),
    confirm=summary, submit=submit_repair, extract=extract_repair,
)
