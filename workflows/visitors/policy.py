"""Per-community visitor rules: owner approval for walk-ins, the approval timeout, free parking minutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.visitors.models import VisitorPolicy


@dataclass(frozen=True)
class Policy:
    approval_required: bool = True
    approval_timeout_minutes: int = 3
    free_parking_minutes: int = 120


DEFAULTS = Policy()


async def visitor_policy(session: AsyncSession, *, community_id: int) -> Policy:
    row = await session.get(VisitorPolicy, community_id)
    if row is None:
        return DEFAULTS
    return Policy(approval_required=row.approval_required, approval_timeout_minutes=row.approval_timeout_minutes,
                  free_parking_minutes=row.free_parking_minutes)


async def set_visitor_policy(session: AsyncSession, *, community_id: int, approval_required: bool,
                             approval_timeout_minutes: int, free_parking_minutes: int) -> Policy:
    if not 1 <= approval_timeout_minutes <= 60 or not 0 <= free_parking_minutes <= 24 * 60:
        raise ValueError("approval timeout 1–60 minutes, free parking 0–1440 minutes")
    row = await session.get(VisitorPolicy, community_id)
    if row is None:
        row = VisitorPolicy(community_id=community_id)
        session.add(row)
    row.approval_required = approval_required
    row.approval_timeout_minutes = approval_timeout_minutes
    row.free_parking_minutes = free_parking_minutes
    await session.flush()
    return await visitor_policy(session, community_id=community_id)
