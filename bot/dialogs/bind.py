"""绑定房屋: community → building → room → name → last four digits of the phone. A roster match binds at once;
otherwise a binding request waits for staff. Failed matches are limited per openid and day (no roster guessing)."""

from __future__ import annotations

import re
import unicodedata

from bot import directory, texts
from bot.context import DialogContext
from bot.dialogs.parsers import account_communities
from bot.dialogs.spec import Abort, Choice, Dialog, Invalid, Slot, examples_of
from bot.owner import invalidate_profile
from workflows.bindings.service import bind_or_request
from workflows.clock import local, utcnow
from workflows.community.service import find_building_id, find_household_ids
from workflows.db import transaction

MAX_FAILED_PER_DAY = 5
FAILED_KEY = "bindfail:{openid}:{day}"


async def community_ids(ctx: DialogContext) -> list[int]:
    """The company's communities, read once when the dialog reaches the community; with none yet, there is
    nothing to bind to."""
    places = await directory.communities(ctx.runtime)
    if not places:
        raise Abort(texts.BIND_NO_COMMUNITY)
    return [place.id for place in places]


def one_community(ctx: DialogContext) -> bool:
    """A company with one community asks nobody to choose it."""
    return len(ctx.facts.get("community") or []) == 1


async def the_only_community(ctx: DialogContext) -> int:
    return ctx.facts["community"][0]


async def building_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(b.id, b.name) for b in await directory.buildings(ctx.runtime, ctx.values["community"])]


async def parse_building(text: str, ctx: DialogContext) -> int:
    """"1号楼", "一栋", "1幢" when the choices' labels did not match."""
    async with ctx.runtime.sessions() as session:
        building_id = await find_building_id(session, community_id=ctx.values["community"], text=text)
    if building_id is None:
        raise Invalid(texts.BIND_BUILDING_UNKNOWN)
    return building_id


async def parse_room(text: str, ctx: DialogContext) -> int:
    async with ctx.runtime.sessions() as session:
        found = await find_household_ids(session, building_id=ctx.values["building"], room_text=text)
    if len(found) > 1:
        raise Invalid(texts.BIND_ROOM_AMBIGUOUS)
    if not found:
        raise Invalid(texts.BIND_ROOM_UNKNOWN)
    return found[0]


async def parse_name(text: str, ctx: DialogContext) -> str:
    name = "".join(unicodedata.normalize("NFKC", text).split())
    if not 1 <= len(name) <= 20 or any(ch.isdigit() for ch in name):
        raise Invalid(texts.BIND_NAME_INVALID)
    return name


async def parse_phone_last4(text: str, ctx: DialogContext) -> str:
    digits = "".join(unicodedata.normalize("NFKC", text).split())
    if not re.fullmatch(r"[0-9]{4}", digits):
        raise Invalid(texts.BIND_PHONE_INVALID)
    return digits


async def bind_household(ctx: DialogContext) -> str:
    """Verify against the roster and bind, or file a request for staff."""
    state = ctx.runtime.state
    key = FAILED_KEY.format(openid=ctx.openid, day=local(utcnow()).strftime("%Y%m%d"))
    if int(await state.get(key) or 0) >= MAX_FAILED_PER_DAY:
        return texts.BIND_TOO_MANY
    values = ctx.values
    async with transaction(ctx.runtime.sessions) as session:
        outcome = await bind_or_request(session, openid=ctx.openid, household_id=values["room"], name=values["name"],
                                        phone_last4=values["phone_last4"],
                                        phone=texts.BIND_REQUEST_PHONE.format(last4=values["phone_last4"]))
    if outcome.bound:
        await invalidate_profile(ctx.runtime, ctx.openid)
        return (texts.BIND_OK if outcome.created else texts.BIND_ALREADY).format(label=outcome.label)
    await state.incr(key, 26 * 3600)
    return texts.BIND_REQUESTED.format(reference=outcome.reference)


BIND = Dialog(
    name="bind", title="绑定房屋", menu_key="BIND",
    triggers=("绑定房屋", "绑定", "绑房", "绑定房子"),
    description="绑定房屋：把微信和自己家的房号绑在一起（核对姓名和手机尾号）",
    examples=examples_of("bind"), keywords=r"绑定|认证|绑一下|绑房|绑到|绑在|绑上|(就|去|来|要|想)绑(吧|了)?$",
    slots=(
        Slot("community", texts.BIND_COMMUNITY, choices=account_communities, facts=community_ids,
             skip_if=one_community, default=the_only_community, label="小区"),
        Slot("building", texts.BIND_BUILDING, choices=building_choices, parse=parse_building, example="1栋",
             label="楼栋"),
        Slot("room", texts.BIND_ROOM, parse=parse_room, example="1单元101", label="房号"),
        Slot("name", texts.BIND_NAME, parse=parse_name, example="张伟", label="姓名"),
        Slot("phone_last4", texts.BIND_PHONE, parse=parse_phone_last4, example="1234", label="手机尾号"),
    ),
    submit=bind_household,
)
