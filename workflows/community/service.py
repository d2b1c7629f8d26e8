"""Looking up communities (小区), buildings (楼栋) and households (房屋) the way owners name them.

Owners type rooms in many ways: "1单元101", "１单元１０１", "1-101", "一单元101室", "101" (when only one unit has it).
Everything is normalised before comparing.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from workflows.community.models import Building, Community, Household
from workflows.text import comparable

_CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9"}


def _fold(text: str) -> str:
    folded = comparable(text or "")
    return "".join(folded.split()).upper()


def _cn_small_number(raw: str) -> str:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21 (building and unit numbers); digits pass through."""
    if raw.isdigit():
        return str(int(raw))
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return str(int(_CN_DIGITS.get(tens, "1") if tens else "1") * 10 + (int(_CN_DIGITS[ones]) if ones else 0))
    return "".join(_CN_DIGITS.get(ch, ch) for ch in raw)


def normalize_building(text: str) -> str:
    """"1栋", "1号楼", "一栋", "1幢", "1" → "1"; other names are kept folded."""
    folded = _fold(text)
    match = re.fullmatch(r"第?([0-9]+|[零〇一二两三四五六七八九十]+)(号楼|栋|幢|号|座|楼)?", folded)
    return _cn_small_number(match.group(1)) if match else folded


def normalize_room(text: str) -> str:
    """"１单元１０１室", "1-101", "一单元101号" → "1单元101"; "101" stays "101"."""
    folded = _fold(text)
    folded = re.sub(r"[室号房]$", "", folded)
    folded = re.sub(r"([零〇一二两三四五六七八九十]+)单元", lambda m: _cn_small_number(m.group(1)) + "单元", folded)
    match = re.fullmatch(r"([0-9]+)[-—－_/单元]+([0-9]+)", folded)
    if match:
        return f"{int(match.group(1))}单元{match.group(2)}"
    return folded


async def list_communities(session: AsyncSession) -> list[Community]:
    """Every community, in the order they were created."""
    return list(await session.scalars(select(Community).order_by(Community.id)))


async def get_community(session: AsyncSession, *, community_id: int) -> Community | None:
    """One community by id."""
    return await session.get(Community, community_id)


async def default_community_id(session: AsyncSession) -> int | None:
    """The account's default community: the first one (owners who are not bound yet belong here)."""
    return await session.scalar(select(Community.id).order_by(Community.id).limit(1))


async def list_buildings(session: AsyncSession, *, community_id: int) -> list[Building]:
    """A community's buildings in their natural order."""
    return list(await session.scalars(select(Building).where(Building.community_id == community_id)
                                      .order_by(Building.sort_key, Building.name)))


async def find_building(session: AsyncSession, *, community_id: int, text: str) -> Building | None:
    """A building by what the owner typed: "1栋", "1号楼", "一栋", "1"."""
    wanted = normalize_building(text)
    for building in await list_buildings(session, community_id=community_id):
        if normalize_building(building.name) == wanted:
            return building
    return None


async def find_households(session: AsyncSession, *, building_id: int, room_text: str) -> list[Household]:
    """Households of a building matching the typed room: exact after normalising, else by the room number alone
    ("101" finds "1单元101" and "2单元101"; the caller asks for the unit when there are several)."""
    wanted = normalize_room(room_text)
    if not wanted:
        return []
    building = await session.get(Building, building_id)
    if building is not None:  # "1栋1单元101" typed in full
        for prefix in (_fold(building.name), normalize_building(building.name) + "-"):
            if wanted.startswith(prefix) and len(wanted) > len(prefix):
                wanted = normalize_room(wanted[len(prefix):])
    rows = list(await session.scalars(select(Household).where(Household.building_id == building_id)
                                      .options(selectinload(Household.building))))
    exact = [h for h in rows if normalize_room(h.room) == wanted]
    if exact or not wanted.isdigit():
        return exact
    return [h for h in rows if re.sub(r"^[0-9]+单元", "", normalize_room(h.room)) == wanted]


async def find_building_id(session: AsyncSession, *, community_id: int, text: str) -> int | None:
    """`find_building` for callers that need only its id (the bot's dialogs)."""
    building = await find_building(session, community_id=community_id, text=text)
    return building.id if building else None


async def find_household_ids(session: AsyncSession, *, building_id: int, room_text: str) -> list[int]:
    """`find_households` for callers that need only ids (the bot's dialogs): none, one, or several to tell apart."""
    return [h.id for h in await find_households(session, building_id=building_id, room_text=room_text)]


async def get_household(session: AsyncSession, *, household_id: int) -> Household | None:
    """One household with its building (for its label)."""
    return await session.scalar(select(Household).where(Household.id == household_id)
                                .options(selectinload(Household.building)))
