"""Communities (小区), buildings (楼栋), households (房屋/户) and residents (住户)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.db import Base, Timestamped, str_enum


class Occupancy(enum.StrEnum):
    OCCUPIED = "occupied"  # 自住
    RENTED = "rented"  # 出租
    VACANT = "vacant"  # 空置


class ResidentRole(enum.StrEnum):
    OWNER = "owner"  # 业主
    TENANT = "tenant"  # 租户
    FAMILY = "family"  # 家属


class Community(Timestamped, Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # short code used in numbers and URLs
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")  # 物业服务电话
    # Centre and radius, so a WeChat location can be checked against the community.
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    radius_m: Mapped[int] = mapped_column(default=500)
    # 物业办公时间 "08:00-18:00": when escalation minutes count toward overdue; empty: LINLI_WORKING_HOURS.
    working_hours: Mapped[str] = mapped_column(String(16), default="", server_default="")

    buildings: Mapped[list[Building]] = relationship(back_populates="community", order_by="Building.sort_key")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))  # "1栋"
    sort_key: Mapped[int] = mapped_column(default=0)

    community: Mapped[Community] = relationship(back_populates="buildings")


class Household(Timestamped, Base):
    __tablename__ = "households"
    # (id, building_id, community_id) is unique because id is: the target of bills' composite household key.
    __table_args__ = (UniqueConstraint("building_id", "room"), UniqueConstraint("id", "building_id", "community_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    room: Mapped[str] = mapped_column(String(32))  # 房号, e.g. "1单元302" or "302"
    area_m2: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))  # 建筑面积
    occupancy: Mapped[Occupancy] = mapped_column(str_enum(Occupancy, 16),
                                                 default=Occupancy.OCCUPIED)

    building: Mapped[Building] = relationship()
    residents: Mapped[list[Resident]] = relationship(back_populates="household")

    @property
    def label(self) -> str:
        """How people say it: 3栋1单元302."""
        return f"{self.building.name}{self.room}"


class Resident(Timestamped, Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[ResidentRole] = mapped_column(str_enum(ResidentRole, 16),
                                               default=ResidentRole.OWNER)
    move_in: Mapped[date | None] = mapped_column(default=None)
    move_out: Mapped[date | None] = mapped_column(default=None)  # 迁出: billing prorates the last period

    household: Mapped[Household] = relationship(back_populates="residents")
