"""Founding and configuring a company's own communities (小区设置): create one, change its settings, add buildings.

The same functions serve `linli community …` and the back office's 小区设置 page. Households and residents come
from the roster import (workflows.community.roster), which also creates the buildings it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.service import record_event
from workflows.community.models import Building, Community
from workflows.community.roster import building_name

CODE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
PHONE = re.compile(r"(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})")
HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")


class CommunityError(ValueError):
    """A community setting that cannot be accepted; `field` names the form field, the message is for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CommunityValues:
    """What a company admin fills in for one community."""

    code: str
    name: str
    phone: str = ""  # 物业服务电话
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int = 500  # a WeChat location within this distance of the centre is "in the community"
    working_hours: str = ""  # 物业办公时间 "08:00-18:00"; empty: the deployment's LINLI_WORKING_HOURS

    def cleaned(self) -> CommunityValues:
        """Stripped and checked; raises CommunityError for the first bad field."""
        code, name = self.code.strip().upper(), self.name.strip()
        phone, address, hours = self.phone.strip(), self.address.strip(), self.working_hours.strip()
        if not CODE.fullmatch(code):
            raise CommunityError("code", "小区代码用 2–16 位大写字母或数字，字母开头，例如 YGHY")
        if not name or len(name) > 100:
            raise CommunityError("name", "请填写小区名称（最多 100 个字）")
        if phone and not PHONE.fullmatch(phone):
            raise CommunityError("phone", "物业电话格式不对，例如 021-55550000 或 13800001234")
        if len(address) > 200:
            raise CommunityError("address", "地址太长（最多 200 个字）")
        if (self.latitude is None) != (self.longitude is None):
            raise CommunityError("location", "经纬度要一起填写，例如 31.2304,121.4737")
        if self.latitude is not None and not (-90 <= self.latitude <= 90 and -180 <= (self.longitude or 0) <= 180):
            raise CommunityError("location", "经纬度超出范围，例如 31.2304,121.4737")
        if not 50 <= self.radius_m <= 5000:
            raise CommunityError("radius_m", "范围半径在 50 到 5000 米之间")
        if hours and (not HOURS.fullmatch(hours) or hours[:5] >= hours[6:]):
            raise CommunityError("working_hours", "办公时间写成 08:00-18:00（开始早于结束）")
        return CommunityValues(code=code, name=name, phone=phone, address=address, latitude=self.latitude,
                               longitude=self.longitude, radius_m=self.radius_m, working_hours=hours)


def parse_location(text: str) -> tuple[float | None, float | None]:
    """"31.2304,121.4737" (latitude, longitude) → floats; empty → (None, None)."""
    text = text.strip().replace("，", ",")
    if not text:
        return None, None
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise CommunityError("location", "经纬度写成 纬度,经度，例如 31.2304,121.4737") from exc
    return latitude, longitude


async def _check_unique(session: AsyncSession, values: CommunityValues, *, except_id: int | None = None) -> None:
    for column, field, message in ((Community.code, "code", "这个小区代码已经有了"),
                                   (Community.name, "name", "这个小区名称已经有了")):
        statement = select(Community.id).where(func.lower(column) == getattr(values, field).lower())
        if except_id is not None:
            statement = statement.where(Community.id != except_id)
        if await session.scalar(statement) is not None:
            raise CommunityError(field, message)


def _apply(community: Community, values: CommunityValues) -> None:
    community.code, community.name, community.phone = values.code, values.name, values.phone
    community.address, community.latitude, community.longitude = values.address, values.latitude, values.longitude
    community.radius_m, community.working_hours = values.radius_m, values.working_hours


def _snapshot(community: Community) -> dict[str, object]:
    return {"code": community.code, "name": community.name, "phone": community.phone, "address": community.address,
            "latitude": community.latitude, "longitude": community.longitude, "radius_m": community.radius_m,
            "working_hours": community.working_hours}


async def create_community(session: AsyncSession, *, values: CommunityValues, actor: str) -> Community:
    """A new community with its settings, audited; its buildings follow (add_buildings or the roster import)."""
    values = values.cleaned()
    await _check_unique(session, values)
    community = Community(code=values.code, name=values.name)
    _apply(community, values)
    session.add(community)
    await session.flush()
    record_event(session, entity_type="community", entity_id=community.id, action="create", actor=actor,
                 community_id=community.id, data={"after": _snapshot(community)})
    return community


async def update_community(session: AsyncSession, *, community: Community, values: CommunityValues,
                           actor: str) -> Community:
    """Change a community's settings; before/after in the audit row."""
    values = values.cleaned()
    await _check_unique(session, values, except_id=community.id)
    before = _snapshot(community)
    _apply(community, values)
    record_event(session, entity_type="community", entity_id=community.id, action="update", actor=actor,
                 community_id=community.id, data={"before": before, "after": _snapshot(community)})
    return community


async def find_community(session: AsyncSession, *, code: str) -> Community | None:
    """A community by its code (YGHY), case-insensitive."""
    return await session.scalar(select(Community).where(func.upper(Community.code) == code.strip().upper()))


def building_names(text: str) -> list[str]:
    """"1-6" → 1栋…6栋; "1栋, 2号楼 商铺" → 1栋, 2栋, 商铺 (commas, spaces or 、 between names)."""
    names: list[str] = []
    for part in re.split(r"[\s,，、]+", text.strip()):
        span = re.fullmatch(r"(\d+)\s*[-~至到]\s*(\d+)", part)
        if span and int(span.group(1)) <= int(span.group(2)) <= int(span.group(1)) + 200:
            names.extend(f"{n}栋" for n in range(int(span.group(1)), int(span.group(2)) + 1))
        elif part:
            names.append(building_name(part))
    return list(dict.fromkeys(names))


async def add_buildings(session: AsyncSession, *, community: Community, names: list[str],
                        actor: str) -> list[Building]:
    """Add the buildings this community does not have yet (existing names are left alone); returns the new ones."""
    for name in names:
        if not name or len(name) > 32:
            raise CommunityError("buildings", f"楼栋名称“{name[:40]}”不对（1–32 个字）")
    existing = {b.name: b for b in await session.scalars(select(Building).where(
        Building.community_id == community.id))}
    # Numbered buildings sort by their number, named ones (商铺, 地下车库) after them in the order added.
    next_key = max((b.sort_key for b in existing.values()), default=0) + 1000
    created: list[Building] = []
    for name in names:
        if name in existing:
            continue
        digits = re.match(r"\d+", name)
        building = Building(community_id=community.id, name=name,
                            sort_key=int(digits.group()) if digits else next_key + len(created))
        session.add(building)
        existing[name] = building
        created.append(building)
    await session.flush()
    if created:
        record_event(session, entity_type="community", entity_id=community.id, action="add_buildings", actor=actor,
                     community_id=community.id, data={"buildings": [b.name for b in created]})
    return created
