"""Owner intake of repairs (报修 from the bot): the open ticket a report would repeat, and the one call that files it.

Both take and return plain values, so the bot never holds an ORM row. A public-area report repeats an open ticket of
the same category when the building (after the roster's own normalisation: 3 = 3号楼 = 3栋 = 三号楼) and the facility
(电梯, 楼道灯, 大门 …) agree, or its WeChat location lies within 80 m; a home report repeats an open ticket of the
same household and category. Another household is shown only the ticket's number, category, place and status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.clock import utcnow
from workflows.community.service import get_community, get_household, normalize_building
from workflows.repairs import service as repairs
from workflows.repairs.duplicates import NEAR_METRES, distance_m
from workflows.repairs.models import OPEN_STATUSES, STATUS_LABELS, Priority, RepairTicket
from workflows.staff.models import StaffUser
from workflows.text import comparable

PUBLIC_LOOKBACK = timedelta(days=14)
BUILDING = re.compile(r"([0-9]+|[一二两三四五六七八九十]+)(号楼|栋|幢|座|#楼?|号(?!室))")
UNIT = re.compile(r"([0-9]+|[一二两三四五六七八九十]+)单元")
_CAPITALS = str.maketrans("壹贰叁肆伍陆柒捌玖拾", "一二三四五六七八九十")
# Facilities of a public area, the words owners use for each; the first that matches names the facility.
FACILITIES = (
    ("电梯", r"电梯|轿厢|升降梯|直梯|客梯"),
    ("垃圾站", r"垃圾站|垃圾房|垃圾间|垃圾桶|垃圾箱"),
    ("车库", r"车库|地库|卷帘门"),
    ("台阶", r"台阶|坡道"),  # 2单元门口的台阶 is the steps, not the door
    # 5栋1单元楼下大门 is the unit's door, not the community's gate
    ("单元门", r"楼门|楼下的?大门|单元的?大门|单元的?门(?![口前])"),
    ("大门", r"大门|小区门|正门|侧门|后门|[东南西北]门|伸缩门|道闸|栏杆|岗亭|抬杆|杆子"),
    ("路灯", r"路灯|草坪灯|庭院灯"),
    ("大堂", r"大堂|大厅|门厅"),
    ("楼道灯", r"(楼道|走廊|过道|楼梯|声控|感应).{0,3}灯|(楼道|走廊|过道|楼梯).{0,2}(黑|太暗|没灯)"
              r"|[0-9一二两三四五六七八九十]+[层楼]的?灯"),  # 六栋二单元五层的灯
    ("消防门", r"消防门|防火门|安全出口|消防通道"),
    ("消防栓", r"消防(栓|箱|柜|水带|水枪|水管)|灭火器"),  # 楼道里的消防栓箱, 消防箱的门
    ("单元门", r"单元门|门禁|楼下(的|那个|那扇)?门(?![口前外铃])|防盗门|铁门|可视对讲|对讲|门铃"),
    ("楼道", r"楼道|走廊|过道|楼梯"),
    ("水管", r"水管|管道|管子|下水|排水|井盖"),
    ("地下室", r"地下室|负[一二三]楼|负[一二三]层"),
    ("充电桩", r"充电桩|充电(的)?(地方|处|口|站|棚|柜)|车棚|插口"),
    ("健身器材", r"健身|器材|秋千|滑梯|单杠|双杠"),
    ("天台", r"天台|楼顶|屋顶"),
    ("花园", r"花园|草坪|绿化"),
    ("围栏", r"围栏|栅栏|护栏|篱笆|围墙"),
    ("信箱", r"信箱|快递柜"),
)


# Facilities that stand in a building: a report of one names its building ("电梯坏了" → 哪栋楼？).
INSIDE_A_BUILDING = frozenset({"电梯", "楼道", "楼道灯", "单元门", "大堂", "消防门", "消防栓", "天台"})


@dataclass(frozen=True)
class OpenTicketView:
    """What the reporter may see of an open ticket: never its description (it may hold names and phones)."""

    ticket_id: int
    number: str
    category: str
    place: str
    status: str
    match: str  # same_household | public_area
    mine: bool  # the reporter's own household's ticket


@dataclass(frozen=True)
class RepairReceipt:
    number: str
    added: bool  # the details went to an open ticket instead of a new one
    status: str
    urgent: bool
    technician: str  # "" when nobody is assigned yet
    community_phone: str


def _folded(text: str) -> str:
    return "".join(comparable(text or "").split()).translate(_CAPITALS)


def building_of(text: str) -> str:
    """"3栋电梯" / "三号楼" / "叁号楼" / "3号楼2单元" → "3"; "" when no building is named."""
    match = BUILDING.search(_folded(text))
    return normalize_building(match.group(1)) if match else ""


def unit_of(text: str) -> str:
    match = UNIT.search(_folded(text))
    return normalize_building(match.group(1)) if match else ""


def facility_of(text: str) -> str:
    folded = _folded(text)
    return next((name for name, pattern in FACILITIES if re.search(pattern, folded)), "")


def facilities_of(text: str) -> set[str]:
    """Every facility the text names ("2号楼大堂的门禁" is the lobby and the unit door)."""
    folded = _folded(text)
    return {name for name, pattern in FACILITIES if re.search(pattern, folded)}


def _broader(facilities: set[str]) -> set[str]:
    """A corridor's light is in the corridor: "3号楼1单元楼道" and "3号楼一单元五楼的声控灯" are one place."""
    return facilities | {"楼道"} if "楼道灯" in facilities else facilities


def _same_public_place(ticket: RepairTicket, *, place: str, latitude: float | None, longitude: float | None) -> bool:
    if None not in (latitude, longitude, ticket.latitude, ticket.longitude):
        if distance_m(latitude, longitude, ticket.latitude, ticket.longitude) <= NEAR_METRES:
            return True
    theirs = ticket.location_text or ticket.description
    if not _broader(facilities_of(place)) & _broader(facilities_of(theirs) | facilities_of(ticket.description)) \
            or building_of(place) != building_of(theirs):
        return False
    mine_unit, their_unit = unit_of(place), unit_of(theirs)
    return not (mine_unit and their_unit and mine_unit != their_unit)  # 2单元's elevator is not 1单元's


async def open_ticket_like(session: AsyncSession, *, community_id: int, category: str, household_id: int | None,
                           public_area: bool, place: str = "", latitude: float | None = None,
                           longitude: float | None = None, now: datetime | None = None) -> OpenTicketView | None:
    """The open ticket this report would repeat, as the reporter may see it; None when there is none. A home repair
    repeats one of the same household and category; a public one, one at the same building and facility whatever
    category its reporter chose (one neighbour's 楼道灯 is 水电, another's 公共设施)."""
    base = select(RepairTicket).where(RepairTicket.community_id == community_id,
                                      RepairTicket.status.in_(OPEN_STATUSES)).order_by(RepairTicket.id.desc())
    found, match = None, ""
    if household_id is not None and not public_area:
        found = await session.scalar(base.where(RepairTicket.category == category,
                                                RepairTicket.household_id == household_id,
                                                RepairTicket.public_area.is_(False)).limit(1))
        match = "same_household"
    elif public_area:
        since = (now or utcnow()) - PUBLIC_LOOKBACK
        for ticket in await session.scalars(base.where(RepairTicket.public_area.is_(True),
                                                       RepairTicket.created_at >= since).limit(50)):
            if _same_public_place(ticket, place=place, latitude=latitude, longitude=longitude):
                found, match = ticket, "public_area"
                break
    if found is None:
        return None
    return OpenTicketView(ticket_id=found.id, number=found.number, category=found.category,
                          place=found.location_text or "", status=STATUS_LABELS[found.status], match=match,
                          mine=household_id is not None and found.household_id == household_id)


async def file_repair(session: AsyncSession, *, community_id: int, openid: str, category: str, description: str,
                      household_id: int | None, resident_id: int | None, public_area: bool, place: str,
                      latitude: float | None, longitude: float | None, photos: list[str],
                      preferred_from: datetime | None, preferred_to: datetime | None, contact_phone: str,
                      submission_key: str, add_to: int | None = None, duplicate_of: int | None = None,
                      urgent: bool = False) -> RepairReceipt:
    """Add the report to the open ticket `add_to`, or open a new ticket; the same submission_key gives the same."""
    if add_to is not None:
        ticket = await session.get(RepairTicket, add_to)
        if ticket is not None and ticket.is_open:
            await repairs.add_details(session, ticket=ticket, openid=openid, photos=photos, description=description,
                                      match="public_area" if public_area else "same_household",
                                      household_id=household_id, submission_key=submission_key)
            return await _receipt(session, ticket, added=True)
    household = await get_household(session, household_id=household_id) if household_id else None
    ticket = await repairs.open_repair(
        session, community_id=community_id, openid=openid, category=category, description=description,
        household_id=household_id, resident_id=resident_id, building_id=household.building_id if household else None,
        public_area=public_area, location_text=place, latitude=latitude, longitude=longitude, photos=photos,
        preferred_from=preferred_from, preferred_to=preferred_to, contact_phone=contact_phone,
        submission_key=submission_key, duplicate_of_id=duplicate_of, urgent=urgent)
    return await _receipt(session, ticket, added=False)


async def _receipt(session: AsyncSession, ticket: RepairTicket, *, added: bool) -> RepairReceipt:
    technician = await session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
    community = await get_community(session, community_id=ticket.community_id)
    return RepairReceipt(number=ticket.number, added=added, status=ticket.status_label,
                         urgent=ticket.priority == Priority.URGENT,
                         technician=technician.display_name if technician else "",
                         community_phone=community.phone if community and community.phone else "")
