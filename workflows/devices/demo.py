"""The demo community's devices (阳光花园): gates at the south gate and 1栋, a car barrier, a camera, 1栋1单元101's
water and electricity meters, a smoke sensor and an elevator sensor in 1栋. Idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.community.models import Building, Community, Household
from workflows.devices.models import DeviceKind, Direction
from workflows.devices.service import register_device

G, C, M, A = DeviceKind.GATE, DeviceKind.CAMERA, DeviceKind.METER, DeviceKind.ALARM


async def seed_demo_devices(session: AsyncSession, *, community_code: str = "YGHY") -> int:
    community = await session.scalar(select(Community).where(Community.code == community_code))
    if community is None:
        return 0
    building = await session.scalar(select(Building).where(Building.community_id == community.id,
                                                           Building.name == "1栋"))
    building_id = building.id if building else None
    household = await session.scalar(select(Household).where(Household.building_id == building_id,
                                                             Household.room == "1单元101")) if building else None
    home = household.id if household else None
    specs = [
        dict(code="gate-south-in", kind=G, subtype="door", name="南门人行闸机（进）", location="南门",
             direction=Direction.IN),
        dict(code="gate-south-out", kind=G, subtype="door", name="南门人行闸机（出）", location="南门",
             direction=Direction.OUT),
        dict(code="barrier-south", kind=G, subtype="barrier", name="南门车辆道闸", location="南门",
             direction=Direction.BOTH),
        dict(code="door-b1", kind=G, subtype="door", name="1栋单元门", location="1栋1单元",
             building_id=building_id, direction=Direction.BOTH),
        dict(code="cam-south", kind=C, subtype="camera", name="南门摄像头", location="南门",
             snapshot_url="http://127.0.0.1:8554/cam-south.jpg", stream_url="rtsp://127.0.0.1:8554/cam-south"),
        dict(code="meter-b1-101-water", kind=M, subtype="water", name="1栋1单元101 水表", location="1栋1单元101",
             building_id=building_id, household_id=home),
        dict(code="meter-b1-101-power", kind=M, subtype="electricity", name="1栋1单元101 电表",
             location="1栋1单元101", building_id=building_id, household_id=home),
        dict(code="smoke-b1", kind=A, subtype="smoke", name="1栋烟感", location="1栋1单元大堂",
             building_id=building_id),
        dict(code="lift-b1", kind=A, subtype="elevator", name="1栋电梯困人报警", location="1栋1号电梯",
             building_id=building_id),
    ]
    for spec in specs:
        await register_device(session, community_id=community.id, **spec)
    return len(specs)


async def seed_demo_linkage(session: AsyncSession, *, community_code: str = "YGHY") -> None:
    """消防联动: a fire or smoke alarm releases the doors of the sensor's building (recorded when it fires)."""
    from workflows.alarms.models import LinkageRule
    from workflows.alarms.service import add_rule

    community = await session.scalar(select(Community).where(Community.code == community_code))
    if community is None or await session.scalar(select(LinkageRule.id).where(
            LinkageRule.community_id == community.id)) is not None:
        return
    for alarm in ("fire", "smoke"):
        await add_rule(session, community_id=community.id, alarm=alarm, action="release", scope="building",
                       description="消防联动：释放本楼门禁")
