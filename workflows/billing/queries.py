"""Reading bills for staff: bill lines with filters, arrears by building (欠费), a household's open bills. Plain
rows for the finance pages and their xlsx exports; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus, FeeItem
from workflows.community.models import Building, Household


@dataclass(frozen=True)
class BillRow:
    id: int
    household_id: int
    household: str
    item: str
    period: str
    description: str
    amount_fen: int
    late_fee_fen: int
    due: str
    status: BillStatus


@dataclass(frozen=True)
class BuildingArrears:
    building_id: int
    building: str
    billed_fen: int
    paid_fen: int
    unpaid_fen: int
    unpaid_lines: int
    households_owing: int

    @property
    def rate(self) -> float | None:
        """缴费率 of the building: paid principal over billed principal."""
        return round(100 * self.paid_fen / self.billed_fen, 1) if self.billed_fen else None


async def list_bills(session: AsyncSession, *, community_ids: set[int] | None, period: str = "",
                     building_id: int | None = None, status: str = "", household_id: int | None = None,
                     limit: int = 500) -> tuple[int, list[BillRow]]:
    """(how many match, the first `limit` of them) — newest period first, then building and room."""
    query = (select(Bill, FeeItem.name, Building.name, Household.room)
             .join(FeeItem, FeeItem.id == Bill.fee_item_id).join(Household, Household.id == Bill.household_id)
             .join(Building, Building.id == Bill.building_id))
    if community_ids is not None:
        query = query.where(Bill.community_id.in_(community_ids))
    if period:
        query = query.where(Bill.period == period)
    if building_id:
        query = query.where(Bill.building_id == building_id)
    if household_id:
        query = query.where(Bill.household_id == household_id)
    if status:
        query = query.where(Bill.status == BillStatus(status))
    total = await session.scalar(select(func.count()).select_from(query.with_only_columns(Bill.id).subquery()))
    rows = (await session.execute(query.order_by(Bill.period.desc(), Building.sort_key, Household.room, Bill.id)
                                  .limit(limit))).all()
    return int(total or 0), [BillRow(bill.id, bill.household_id, f"{building}{room}", item, bill.period,
                                     bill.description, bill.amount_fen, bill.late_fee_fen, str(bill.due_date),
                                     bill.status) for bill, item, building, room in rows]


async def arrears_by_building(session: AsyncSession, *, community_ids: set[int] | None,
                              period: str = "") -> list[BuildingArrears]:
    """Per building: billed, paid and unpaid principal, unpaid lines and households owing (作废 lines excluded)."""
    unpaid = Bill.status == BillStatus.UNPAID
    query = (select(Building.id, Building.name, func.sum(Bill.amount_fen),
                    func.sum(case((Bill.status == BillStatus.PAID, Bill.amount_fen), else_=0)),
                    func.sum(case((unpaid, Bill.amount_fen), else_=0)), func.sum(case((unpaid, 1), else_=0)),
                    func.count(func.distinct(case((unpaid, Bill.household_id), else_=None))))
             .join(Building, Building.id == Bill.building_id).where(Bill.status != BillStatus.CANCELLED)
             .group_by(Building.id, Building.name, Building.sort_key).order_by(Building.sort_key, Building.id))
    if community_ids is not None:
        query = query.where(Bill.community_id.in_(community_ids))
    if period:
        query = query.where(Bill.period == period)
    return [BuildingArrears(building_id, name, int(billed or 0), int(paid or 0), int(owed or 0), int(lines or 0),
                            int(households or 0))
            for building_id, name, billed, paid, owed, lines, households in (await session.execute(query)).all()]


async def periods(session: AsyncSession, *, community_ids: set[int] | None) -> list[str]:
    """Billing months that have bills, newest first."""
    query = select(Bill.period).distinct().order_by(Bill.period.desc())
    if community_ids is not None:
        query = query.where(Bill.community_id.in_(community_ids))
    return list(await session.scalars(query.limit(36)))
