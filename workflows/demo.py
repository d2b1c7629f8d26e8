"""The demo community (`linli demo`): realistic, deterministic, idempotent.

阳光花园 has 6 buildings with 2 units each and about 100 households; 翠湖苑 is a small second community so that
scoping can be seen. The roster always contains 1栋1单元101 张伟 (phone ending 1234) so the binding can be tried.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.demo import seed_billing
from workflows.community.models import Building, Community, Household, Occupancy, Resident, ResidentRole
from workflows.payments.demo import seed_payments
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.staff.passwords import hash_password

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "淑珍", "玉兰", "志强", "海燕", "文博"]

DEMO_PASSWORD = "linli-demo-2026"


@dataclass(frozen=True)
class StaffSeed:
    username: str
    display_name: str
    role: Role
    skills: str = ""
    community: str = "YGHY"


STAFF = (
    StaffSeed("admin", "系统管理员", Role.ADMIN),
    StaffSeed("manager", "周经理", Role.MANAGER),
    StaffSeed("kefu", "小林", Role.FRONT_DESK),
    StaffSeed("wang.shifu", "王师傅", Role.TECHNICIAN, "水电,管道疏通,门窗"),
    StaffSeed("li.shifu", "李师傅", Role.TECHNICIAN, "电梯,公共设施,其他"),
    StaffSeed("chen.shifu", "陈师傅", Role.TECHNICIAN, "水电,公共设施"),
    StaffSeed("baoan", "赵保安", Role.SECURITY),
    StaffSeed("caiwu", "孙会计", Role.FINANCE),
    StaffSeed("cuihu.kefu", "小吴", Role.FRONT_DESK, community="CHY"),
)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


async def _community(session: AsyncSession, *, code: str, name: str, address: str, phone: str,
                     lat: float, lon: float) -> tuple[Community, bool]:
    found = await session.scalar(select(Community).where(Community.code == code))
    if found is not None:
        return found, False
    community = Community(code=code, name=name, address=address, phone=phone, latitude=lat, longitude=lon,
                          radius_m=600)
    session.add(community)
    await session.flush()
    return community, True


async def _populate(session: AsyncSession, community: Community, *, buildings: int, floors: int,
                    rng: random.Random) -> int:
    households = 0
    for b in range(1, buildings + 1):
        building = Building(community_id=community.id, name=f"{b}栋", sort_key=b)
        session.add(building)
        await session.flush()
        for unit in (1, 2):
            for floor in range(1, floors + 1):
                room_number = f"{floor}0{1 if unit == 1 else 2}"
                occupancy = rng.choices(list(Occupancy), weights=(80, 12, 8))[0]
                household = Household(community_id=community.id, building_id=building.id,
                                      room=f"{unit}单元{room_number}", occupancy=occupancy,
                                      area_m2=Decimal(rng.choice(["89.50", "96.20", "112.80", "128.00", "143.60"])))
                session.add(household)
                await session.flush()
                households += 1
                if occupancy == Occupancy.VACANT:
                    continue
                owner_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                session.add(Resident(community_id=community.id, household_id=household.id, name=owner_name,
                                     phone=_phone(rng), role=ResidentRole.OWNER,
                                     move_in=date(rng.randint(2012, 2025), rng.randint(1, 12), 1)))
                if occupancy == Occupancy.RENTED:
                    session.add(Resident(community_id=community.id, household_id=household.id,
                                         name=rng.choice(SURNAMES) + rng.choice(GIVEN), phone=_phone(rng),
                                         role=ResidentRole.TENANT))
                elif rng.random() < 0.4:
                    session.add(Resident(community_id=community.id, household_id=household.id,
                                         name=owner_name[0] + rng.choice(GIVEN), phone=_phone(rng),
                                         role=ResidentRole.FAMILY))
    return households


async def _known_resident(session: AsyncSession, community: Community) -> None:
    """1栋1单元101: 张伟, phone 13800001234, always there for the walkthrough in README."""
    household = await session.scalar(select(Household).join(Building).where(
        Household.community_id == community.id, Building.name == "1栋", Household.room == "1单元101"))
    assert household is not None
    household.occupancy = Occupancy.OCCUPIED
    resident = await session.scalar(select(Resident).where(Resident.household_id == household.id,
                                                          Resident.role == ResidentRole.OWNER))
    if resident is None:
        resident = Resident(community_id=community.id, household_id=household.id, role=ResidentRole.OWNER,
                            name="张伟", phone="13800001234")
        session.add(resident)
    resident.name, resident.phone = "张伟", "13800001234"


async def seed_demo(session: AsyncSession) -> dict[str, int]:
    """Create the demo communities and staff if they are not there yet; returns what was created."""
    rng = random.Random(20261124)
    created = {"communities": 0, "households": 0, "staff": 0}
    main, new = await _community(session, code="YGHY", name="阳光花园", address="上海市浦东新区阳光路 88 号",
                                 phone="021-5888 1234", lat=31.2208, lon=121.5440)
    if new:
        created["communities"] += 1
        created["households"] += await _populate(session, main, buildings=6, floors=8, rng=rng)
        await session.flush()
        await _known_resident(session, main)
    second, new = await _community(session, code="CHY", name="翠湖苑", address="上海市闵行区翠湖路 12 号",
                                   phone="021-6333 5678", lat=31.1125, lon=121.3820)
    if new:
        created["communities"] += 1
        created["households"] += await _populate(session, second, buildings=2, floors=4, rng=rng)
    created["bill_lines"] = await seed_billing(session, main, spaces=24) + await seed_billing(session, second,
                                                                                                spaces=4)
    if created["bill_lines"]:
        created["payments"] = await seed_payments(session, main) + await seed_payments(session, second)
    for seed in STAFF:
        if await session.scalar(select(StaffUser).where(StaffUser.username == seed.username)) is not None:
            continue
        staff = StaffUser(username=seed.username, display_name=seed.display_name, role=seed.role,
                          skills=seed.skills, password_hash=hash_password(DEMO_PASSWORD))
        if seed.role != Role.ADMIN:  # admins see every community
            home = main if seed.community == main.code else second
            staff.assignments.append(StaffCommunity(community_id=home.id))
        session.add(staff)
        created["staff"] += 1
    from workflows.devices.demo import seed_demo_devices, seed_demo_linkage

    await session.flush()
    created["devices"] = await seed_demo_devices(session)
    await seed_demo_linkage(session)
    return created
