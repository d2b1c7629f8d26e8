"""报修: where (one of the owner's households, or a public area in words or as a WeChat location) → for a public
area the building, then the place in it → category → (only when an open ticket like it exists, checked as soon as
category and place are known) follow it or still create → description → photos → preferred time (home repairs that
are not urgent) → contact phone (asked only when none is known) → confirm → one service call:
workflows.repairs.intake.file_repair. The opening message, and every answer at the place and category steps, fill
what they already say (repair_extract.py)."""

from __future__ import annotations

import re
from typing import Any

from bot.context import DialogContext
from bot.dialogs import repair_texts as t
from bot.dialogs.parsers import (
    DESCRIPTION_LIMIT,
    MOBILE_IN_TEXT,
    clean,
    folded,
    masked,
    parse_description,
    parse_phone,
    parse_when,
    store_photo,
)
from bot.dialogs.repair_duplicate import (
    community_id,
    duplicate_choices,
    duplicate_prompt,
    no_open_ticket_like,
    open_ticket_facts,
    parse_duplicate,
)
from bot.dialogs.repair_extract import HOME, PUBLIC, looks_like_place, only_building, public_place, read_repair
from bot.dialogs.spec import Choice, Dialog, Invalid, Slot, SlotValues, examples_of
from bot.dialogs.when import show_window, window_bounds
from workflows.community.service import get_community
from workflows.db import transaction
from workflows.repairs.dispatch import category_specs
from workflows.repairs.duplicates import distance_m
from workflows.repairs.intake import INSIDE_A_BUILDING, building_of, facility_of, file_repair


async def category_choices(ctx: DialogContext) -> list[Choice]:
    async with ctx.runtime.sessions() as session:
        specs = await category_specs(session, community_id=ctx.owner.default_community_id)
    return [Choice(spec.name, spec.name) for spec in specs]


async def _names(ctx: DialogContext) -> list[str]:
    return [choice.value for choice in await category_choices(ctx)]


def _with(slot: str, value: Any, found: dict[str, Any], ctx: DialogContext) -> SlotValues:
    """The asked slot's value plus whatever else the answer says that is not known yet."""
    more = {k: v for k, v in found.items() if k not in ctx.values and k != slot}
    if "where" in more and (ctx.values.get("where") or slot in ("building", "place")):
        more.pop("where")
    return SlotValues({slot: value, **more})


async def parse_category(text: str, ctx: DialogContext) -> SlotValues:
    """"水管漏了" → 水电 when no label matched; "水电 客厅插座没电了" also fills the description."""
    found = read_repair(text, ctx, await _names(ctx))
    if "category" not in found:
        raise Invalid(t.REPAIR_CATEGORY_INVALID)
    return _with("category", found["category"], found, ctx)


async def where_choices(ctx: DialogContext) -> list[Choice]:
    homes = [Choice({"household_id": h.household_id, "community_id": h.community_id, "label": h.label,
                     "public": False}, h.label, ("家里", "我家", "家", "屋里")) for h in ctx.owner.households]
    if len(homes) > 1:  # "家里" is no answer when there are two homes
        homes = [Choice(c.value, c.label) for c in homes]
    return [*homes, Choice({"public": True, "text": ""}, t.REPAIR_WHERE_PUBLIC, ("公共区域", "公共", "楼道", "外面"))]


async def _location_value(ctx: DialogContext) -> dict[str, Any]:
    """A WeChat location inside the community's radius, else Invalid with the distance."""
    location = ctx.inbound.location
    async with ctx.runtime.sessions() as session:
        community = await get_community(session, community_id=ctx.owner.default_community_id)
    if location is None or community is None or community.latitude is None or community.longitude is None:
        raise Invalid(t.REPAIR_LOCATION_UNKNOWN)
    metres = distance_m(location.latitude, location.longitude, community.latitude, community.longitude)
    if metres > community.radius_m:
        raise Invalid(t.REPAIR_LOCATION_OUTSIDE.format(community=community.name, distance=show_distance(metres)))
    return {"public": True, "text": location.label or t.REPAIR_WECHAT_LOCATION, "lat": location.latitude,
            "lon": location.longitude}


def show_distance(metres: float) -> str:
    """约 350 米 / 约 1.2 公里 / 约 1071 公里: what an owner can read."""
    if metres < 1000:
        return f"{int(round(metres, -1))} 米"
    kilometres = metres / 1000
    return f"{kilometres:.1f} 公里" if kilometres < 10 else f"{round(kilometres):,} 公里"


async def parse_where(text: str, ctx: DialogContext) -> dict[str, Any] | SlotValues:
    """家里 / 公共区域 are choices; a place in words ("5栋2单元电梯按钮坏了") fills what it says."""
    if ctx.inbound.msg_type == "location":
        return await _location_value(ctx)
    found = read_repair(text, ctx, await _names(ctx))
    if "where" in found:
        return _with("where", found["where"], found, ctx)
    if not ctx.owner.households and HOME.search(folded(text)) and not PUBLIC.search(folded(text)):
        raise Invalid(t.REPAIR_HOME_UNBOUND)  # "家里" from an owner with no home bound is no public place
    if not looks_like_place(text):
        raise Invalid(t.REPAIR_WHERE_INVALID)
    return _with("where", {"public": True, "text": clean(text)[:100]}, found, ctx)


async def parse_building(text: str, ctx: DialogContext) -> SlotValues:
    """"3号楼" / "三栋" / or a place that is in no building (大门、地下车库)."""
    if ctx.inbound.msg_type == "location":
        value = await _location_value(ctx)
        return SlotValues(building=value["text"], where=value)
    if re.fullmatch(r"[1-9][0-9]?|[一二三四五六七八九十]{1,3}", folded(text)):
        text = f"{folded(text)}号楼"  # a bare number answers "是哪栋楼？"
    found = read_repair(text, ctx, await _names(ctx))
    place = public_place(text)
    if not place and not looks_like_place(text):
        raise Invalid(t.REPAIR_BUILDING_INVALID)
    known = (ctx.values.get("where") or {}).get("text") or ""
    if known and place and only_building(place) and not building_of_text(known):
        place = f"{place}{known}"  # "电梯坏了", then "1栋2单元": 1号楼2单元电梯
    where = {"public": True, "text": place or clean(text)[:100]}
    return SlotValues({**_with("building", where["text"], found, ctx), "where": where})


async def parse_place(text: str, ctx: DialogContext) -> SlotValues:
    """The place in the building ("2单元楼道灯") completes the "where" answer: one answer, several slots."""
    if ctx.inbound.msg_type == "location":
        value = await _location_value(ctx)
        return SlotValues(place=value["text"], where=value)
    if not looks_like_place(text) and not read_repair(text, ctx, []).get("where"):
        raise Invalid(t.REPAIR_WHERE_INVALID)
    known = (ctx.values.get("where") or {}).get("text", "")
    place = public_place(text) or clean(text)[:100]
    if known and not building_of_text(place):
        place = f"{known}{place}"
    found = read_repair(text, ctx, await _names(ctx))
    where = {"public": True, "text": place}
    return SlotValues({**_with("place", place, found, ctx), "where": where})


def building_of_text(text: str) -> bool:
    return bool(building_of(text))


def building_known(ctx: DialogContext) -> bool:
    """Skip the building question: a home, or a public place already named — with its building when it stands in
    one ("电梯坏了" asks 哪栋楼; "小区大门" needs none)."""
    where = ctx.values.get("where") or {}
    text = where.get("text") or ""
    return not where.get("public") or "lat" in where or (
        bool(text) and (bool(building_of_text(text)) or facility_of(text) not in INSIDE_A_BUILDING))


def place_known(ctx: DialogContext) -> bool:
    """Skip the place question unless only a building is known ("3号楼" → 3号楼的哪里？)."""
    where = ctx.values.get("where") or {}
    return not where.get("public") or "lat" in where or not only_building(where.get("text", ""))


async def place_prompt(ctx: DialogContext) -> str:
    return t.REPAIR_PLACE.format(building=(ctx.values.get("where") or {}).get("text", ""))


def no_visit_time(ctx: DialogContext) -> bool:
    """A public-area repair or an urgent one asks no visit time."""
    where = ctx.values.get("where") or {}
    return bool(where.get("public")) or bool(ctx.values.get("urgent"))


def following(ctx: DialogContext) -> bool:
    """The owner chose to follow the open ticket: what they said goes to it (the description is asked only when they
    have said nothing yet); no photos, visit time, phone or confirmation is asked."""
    return isinstance(ctx.values.get("duplicate"), dict)


def no_visit_time_or_following(ctx: DialogContext) -> bool:
    return no_visit_time(ctx) or following(ctx)


async def known_phone(ctx: DialogContext) -> str:
    return _resident_phone(ctx)


def following_or_phone_known(ctx: DialogContext) -> bool:
    """The phone step is asked only when the bot knows no phone for the owner; the known one is shown in the
    confirmation, where 修改 changes it."""
    return following(ctx) or bool(_resident_phone(ctx))


def _resident_phone(ctx: DialogContext) -> str:
    where = ctx.values.get("where") or {}
    for household in ctx.owner.households:
        if household.household_id == where.get("household_id") and household.resident_phone:
            return household.resident_phone
    return next((h.resident_phone for h in ctx.owner.households if h.resident_phone), "")


async def phone_prompt(ctx: DialogContext) -> str:
    return t.REPAIR_PHONE + (t.REPAIR_PHONE_OR_NEW if _resident_phone(ctx) else t.REPAIR_PHONE_ASK)


async def phone_choices(ctx: DialogContext) -> list[Choice]:
    phone = _resident_phone(ctx)
    return [Choice(phone, t.REPAIR_PHONE_USE.format(phone=masked(phone)), t.REPAIR_PHONE_SAME)] if phone else []


# "明天上午都在家 电话就打我绑定的那个": the visit time with the phone said in passing.
_SAME_PHONE_ASIDE = re.compile(r"[，,。;；\s]*(电话|号码|手机|联系方式)[^，,。;；\s]{0,4}"
                               r"(绑定|原来|之前|默认|注册|这个|一样|不变|照旧|不用改|还是)[^，,。;；\s]{0,6}$")


# With the known phone on screen, an answer with no digits that points at it ("用我手机号", "电话就打我这个") keeps it.
_POINTS_AT_IT = re.compile(r"用|打|就|这个|我|本人|原|绑|默认|一样|对|是|好|行|可以|嗯|确认|没问题|ok|OK|Ok"
                           r"|不改|不变|没变|没错|照旧|同上|不换")
_KEEPS = re.compile(r"不用改|不改|不变|没变|不用换|不换|不用变")
_WANTS_ANOTHER = re.compile(r"不(用|要|对|是|行)|别|换|新|另|改成|其他")


async def parse_contact(text: str, ctx: DialogContext) -> str:
    """A phone number, or "号码不用改 / 就这个 / 用我手机号 / 确认" for the one the bot already knows."""
    phone, word = _resident_phone(ctx), folded(text)
    another = _WANTS_ANOTHER.search(word) and not _KEEPS.search(word)  # "不用这个 换一个", not "号码不用改"
    if phone and _POINTS_AT_IT.search(word) and not another and not re.search(r"\d", word):
        return phone
    return await parse_phone(text, ctx)


# "时间你们直接跟租客约 他电话139…": no time of the owner's; the technician arranges it with whoever is there.
_ARRANGE = re.compile(r"(跟|和|与|联系|找|问)(租客|租户|房客|住户|家里人|家人|我?(儿子|女儿|闺女|老伴|爱人|媳妇|老公)"
                      r"|保姆|阿姨|他|她)(约|联系|商量|定|打电话)")


async def parse_visit(text: str, ctx: DialogContext) -> dict[str, Any] | SlotValues:
    """A visit time; "…电话就用我绑定的" beside it also answers the phone step (alone, it leaves the time open);
    "跟租客约 他电话139…" leaves the time to that call, noted with the report, and the number is the contact."""
    phone, said = _resident_phone(ctx), clean(text)
    if _ARRANGE.search(said):
        other = MOBILE_IN_TEXT.search(said)
        note = f"{ctx.values.get('description', '')}（上门时间：{said}）"[:DESCRIPTION_LIMIT]
        return SlotValues(when=None, description=note, **({"phone": other.group(0)} if other else {}))
    aside = _SAME_PHONE_ASIDE.search(said)
    if not phone or aside is None:
        return await parse_when(text, ctx)
    rest = said[:aside.start()].strip(" ，,。")
    return SlotValues(when=await parse_when(rest, ctx) if rest else None, phone=phone)


def show_where(value: dict | None) -> str:
    if not value:
        return ""
    return value.get("label") or value.get("text") or t.REPAIR_PUBLIC_AREA


async def summary(ctx: DialogContext) -> str:
    values = ctx.values
    description = values.get("description", "")
    if len(description) >= DESCRIPTION_LIMIT:
        description += t.REPAIR_DESCRIPTION_TRUNCATED.format(limit=DESCRIPTION_LIMIT)
    when = t.REPAIR_WHEN_URGENT if values.get("urgent") else show_window(values.get("when"))
    if (values.get("where") or {}).get("public"):
        when = t.REPAIR_WHEN_PUBLIC
    text = t.REPAIR_SUMMARY.format(category=values.get("category"), place=show_where(values.get("where")),
                                   description=description, photos=len(values.get("photos") or []),
                                   when=when, phone=values.get("phone") or "")
    if isinstance(values.get("duplicate"), dict) and ctx.facts.get("duplicate"):
        text += t.REPAIR_SUMMARY_ADD.format(number=ctx.facts["duplicate"]["number"])
    return text


async def submit_repair(ctx: DialogContext) -> str:
    """One service call in one transaction: add to the open ticket, or open a new one."""
    values, where = ctx.values, ctx.values.get("where") or {}
    duplicate, dup = values.get("duplicate"), ctx.facts.get("duplicate") or {}
    preferred_from, preferred_to = window_bounds(values.get("when"))
    async with transaction(ctx.runtime.sessions) as session:
        receipt = await file_repair(
            session, community_id=community_id(ctx), openid=ctx.openid, category=values["category"],
            description=values.get("description") or "", household_id=where.get("household_id"),
            resident_id=next((h.resident_id for h in ctx.owner.households
                              if h.household_id == where.get("household_id")), None),
            public_area=bool(where.get("public")), place=show_where(where), latitude=where.get("lat"),
            longitude=where.get("lon"), photos=list(values.get("photos") or []), preferred_from=preferred_from,
            preferred_to=preferred_to, contact_phone=values.get("phone") or "", submission_key=ctx.submission_key,
            add_to=duplicate["add"] if isinstance(duplicate, dict) else None,
            duplicate_of=dup.get("id") if duplicate == "new" else None, urgent=bool(values.get("urgent")))
    if receipt.added:
        added = t.REPAIR_ADDED if values.get("description") or values.get("photos") else t.REPAIR_FOLLOWED
        return added.format(number=receipt.number, status=receipt.status)
    reply = t.REPAIR_SUBMITTED.format(
        number=receipt.number,
        assigned=t.REPAIR_ASSIGNED.format(technician=receipt.technician) if receipt.technician else "")
    if receipt.urgent:
        reply += "\n" + t.REPAIR_SUBMITTED_URGENT.format(phone=receipt.community_phone or t.NO_PHONE)
    return reply


async def extract_repair(text: str, ctx: DialogContext) -> dict[str, Any]:
    return read_repair(text, ctx, await _names(ctx))


async def urgent_preface(ctx: DialogContext) -> str:
    """An emergency in the opening message gets the emergency answer before any question."""
    if not ctx.values.get("urgent") or ctx.host is None:
        return ""
    return await ctx.host.emergency_note(ctx)


# A thing of a home or a building named with what is wrong with it ("电梯门关一半就弹开", "单杠松了 晃得厉害").
_THINGS = (r"电梯|轿厢|升降梯|直梯|客梯|门禁|单元门|楼门|铁门|卷帘门|道闸|栏杆|杆子|路灯|楼道灯|声控灯|灯"
           r"|健身器材|单杠|秋千|滑梯|台阶|地砖|垃圾房|垃圾站|刷脸|人脸识别|充电桩|充电口|插口"
           r"|水管|暖气|马桶|水龙头|龙头|插座|开关|窗户?|门|锁|信箱|快递柜|对讲|门铃|井盖|下水道?|地漏|空调|热水器|扶手|晾衣架")
_WRONG = (r"坏|不动|不走|不转|报警|滴滴|弹开|松了|松动|晃|卡(住|起|了|在)|关不|合不|打不|抬不|锁不|刷不|开不|漏|渗|堵"
          r"|不好使|不管用|不好用|趴窝|摇不|一直响|响个不停|(?<!车)停了|黑屏|不显示|掉下来"
          r"|不亮|不热|不出|停在|停喺|唔郁|失灵|没反应|不灵|异响|怪声|响声|夹|断了|掉了|裂|碎|歪了|脱落"
          r"|有问题|出问题|毛病|不正常|不对劲|一顿|顿一下|咯噔|抖|往下掉|下坠|不抬|到不了|充不进|充不上")
DECISIVE = rf"({_THINGS}).{{0,10}}({_WRONG})"


REPAIR = Dialog(
    name="repair", title="报修", menu_key="REPAIR",
    triggers=("报修", "我要报修", "维修", "报修服务", "报个修", "报修一下", "帮我报修"),
    description="报修：家里或公共区域的东西坏了（水电、门窗、电梯、管道堵塞等），请师傅上门",
    examples=examples_of("repair"),
    keywords=r"坏了|漏水|漏了|渗水|堵了|堵住|不亮|跳闸|打不开|关不上|维修|修一下|报修|不出水|冒烟|掉了|裂了|滴水|返臭"
             r"|夹人|夹到|关不严|打不着|碎了|困人|关住|出不来|不制冷|不制热|不转|没电|没水|不走了|不动了|罢工|坐不了"
             r"|显示故障|刷不开|刷不了|失灵|不好使|反味|返味|冒臭|反臭|没反应|一直响|异响|响个不停|锁不上|锁不了|不热了|卡住了"
             r"|趴窝",
    excludes=r"维修基金|维修资金|报修(电话|流程|怎么|要|收费|多久)|维修(费|电话)|保修期|质保|保修卡"
             r"|管报修|报修(来)?的(那个|那位)?(师傅|小伙子|小哥|老师傅|工人)|(不用|不要|不需要|不必|别|不是|我不)(再|要)?(报修|修了)"
             r"|[把将].{0,2}(路|过道|通道|楼道|楼梯|门口|出口|车位).{0,2}[堵挡占]"
             # "报修都三天了还没人来": chasing a report already made, not a new one
             r"|(报修|报了修?|报的修?|报过修?).{0,8}(还|都)(没人|没来|没修|没动静|不见人|没人管|没人理)",
    decisive=DECISIVE,
    slots=(
        Slot("where", t.REPAIR_WHERE, choices=where_choices, parse=parse_where, label="地点",
             accepts=frozenset({"text", "location"}), display=show_where, example=t.REPAIR_PLACE_EXAMPLE,
             free_text=True),
        Slot("building", t.REPAIR_BUILDING, parse=parse_building, skip_if=building_known, label="楼栋",
             accepts=frozenset({"text", "location"}), example=t.REPAIR_BUILDING_EXAMPLE, free_text=True),
        Slot("place", place_prompt, parse=parse_place, skip_if=place_known, label="具体位置",
             accepts=frozenset({"text", "location"}), example=t.REPAIR_PLACE_EXAMPLE, free_text=True),
        Slot("category", t.REPAIR_CATEGORY, choices=category_choices, parse=parse_category, label="类别",
             example="水电", free_text=True),
        Slot("duplicate", duplicate_prompt, choices=duplicate_choices, parse=parse_duplicate,
             skip_if=no_open_ticket_like, facts=open_ticket_facts, label="已有工单",
             display=lambda v: t.REPAIR_DUPLICATE_FOLLOW if isinstance(v, dict) else t.REPAIR_DUPLICATE_NEW),
        Slot("description", t.REPAIR_DESCRIPTION, parse=parse_description, label="问题",
             example=t.REPAIR_DESCRIPTION_EXAMPLE, free_text=True),
        Slot("photos", t.REPAIR_PHOTOS, parse=store_photo, repeatable=True, optional=True, label="照片",
             accepts=frozenset({"image", "text"}), display=lambda v: f"{len(v or [])} 张",
             free_text=True, skip_if=following, text_adds_to="description"),
        Slot("when", t.REPAIR_WHEN, parse=parse_visit, optional=True, label="上门时间", display=show_window,
             example=t.REPAIR_WHEN_EXAMPLE, skip_if=no_visit_time_or_following, free_text=True),
        Slot("phone", phone_prompt, choices=phone_choices, parse=parse_contact, label="联系电话",
             example="13800001234", skip_if=following_or_phone_known, default=known_phone),
    ),
    confirm=summary, confirm_unless=following, submit=submit_repair, extract=extract_repair, preface=urgent_preface,
    extra_values=("urgent",), takes_emergencies=True,
)
