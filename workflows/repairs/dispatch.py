"""Dispatch (派单): a category goes to a technician group of the community (StaffUser.skills), then to the
least-loaded technician in it (fewest open orders; ties to the longest-serving id). Staff can reassign."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.repairs.models import RepairCategory, RepairStatus, RepairTicket
from workflows.repairs.sla import DEFAULT_CATEGORIES, CategorySpec
from workflows.staff.models import Role, StaffCommunity, StaffUser

LOAD_STATUSES = (RepairStatus.DISPATCHED, RepairStatus.ACCEPTED, RepairStatus.IN_PROGRESS,
                 RepairStatus.AWAITING_PARTS)


async def category_specs(session: AsyncSession, *, community_id: int) -> list[CategorySpec]:
    """The community's repair categories (configured rows, else the defaults)."""
    rows = list(await session.scalars(select(RepairCategory).where(
        RepairCategory.community_id == community_id, RepairCategory.active.is_(True))
        .order_by(RepairCategory.sort_key, RepairCategory.id)))
    if not rows:
        return list(DEFAULT_CATEGORIES)
    return [CategorySpec(r.name, r.skill or r.name, r.resolve_hours) for r in rows]


async def category_spec(session: AsyncSession, *, community_id: int, category: str) -> CategorySpec:
    for spec in await category_specs(session, community_id=community_id):
        if spec.name == category:
            return spec
    return CategorySpec(category, category, 72)


def has_skill(staff: StaffUser, skill: str) -> bool:
    return skill in {s.strip() for s in staff.skills.replace("，", ",").split(",") if s.strip()}


async def technicians(session: AsyncSession, *, community_id: int) -> list[StaffUser]:
    """Active technicians assigned to the community."""
    rows = await session.scalars(select(StaffUser).join(StaffCommunity, StaffCommunity.staff_id == StaffUser.id)
                                 .where(StaffCommunity.community_id == community_id,
                                        StaffUser.role == Role.TECHNICIAN, StaffUser.active.is_(True))
                                 .order_by(StaffUser.id))
    return list(rows)


async def open_load(session: AsyncSession, *, staff_ids: list[int]) -> dict[int, int]:
    """How many open orders each technician holds now."""
    if not staff_ids:
        return {}
    rows = await session.execute(select(RepairTicket.assignee_id, func.count()).where(
        RepairTicket.assignee_id.in_(staff_ids), RepairTicket.status.in_(LOAD_STATUSES))
        .group_by(RepairTicket.assignee_id))
    load = {staff_id: 0 for staff_id in staff_ids}
    load.update({staff_id: count for staff_id, count in rows})
    return load


async def choose_technician(session: AsyncSession, *, community_id: int, category: str,
                            exclude: set[int] | frozenset[int] = frozenset()) -> StaffUser | None:
    """The least-loaded technician of the category's group; anyone in the community if the group is empty."""
    spec = await category_spec(session, community_id=community_id, category=category)
    everyone = [t for t in await technicians(session, community_id=community_id) if t.id not in exclude]
    group = [t for t in everyone if has_skill(t, spec.skill)] or everyone
    if not group:
        return None
    load = await open_load(session, staff_ids=[t.id for t in group])
    return min(group, key=lambda t: (load[t.id], t.id))


async def may_take(session: AsyncSession, *, staff: StaffUser, ticket: RepairTicket) -> bool:
    """A technician may accept an order dispatched to them, or one of their group in their community (抢单)."""
    if ticket.community_id not in staff.community_ids:
        return False
    if ticket.assignee_id == staff.id:
        return True
    spec = await category_spec(session, community_id=ticket.community_id, category=ticket.category)
    return has_skill(staff, spec.skill)
