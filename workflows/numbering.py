"""Ticket numbers people can say on the phone: BX-20261124-0007, per community, prefix and local day.

The counter row is incremented with one atomic upsert, so concurrent submissions never share a number.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from workflows.clock import SHANGHAI, local, utcnow
from workflows.db import Base


class TicketCounter(Base):
    __tablename__ = "ticket_counters"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, local
    last_value: Mapped[int] = mapped_column(default=0)


async def next_ticket_number(session: AsyncSession, *, community_id: int, prefix: str,
                             at: datetime | None = None, tz: ZoneInfo = SHANGHAI) -> str:
    """Allocate the next number for this community, prefix and local day inside the caller's transaction."""
    day = local(at or utcnow(), tz).strftime("%Y%m%d")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TicketCounter).values(community_id=community_id, prefix=prefix, day=day, last_value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["community_id", "prefix", "day"],
        set_={"last_value": TicketCounter.last_value + 1},
    ).returning(TicketCounter.last_value)
    value = (await session.execute(statement)).scalar_one()
    return f"{prefix}-{day}-{value:04d}"
