import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from workflows.community.models import Community
from workflows.db import transaction
from workflows.numbering import next_ticket_number


async def _community_id(runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(Community.id).where(Community.code == "YGHY"))


async def test_numbers_count_up_per_local_day(runtime):
    community_id = await _community_id(runtime)
    # 2026-11-24 17:00 UTC is already 11-25 01:00 in Shanghai: the local day names the number.
    late_evening_utc = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    async with transaction(runtime.sessions) as session:
        first = await next_ticket_number(session, community_id=community_id, prefix="BX", at=late_evening_utc)
        second = await next_ticket_number(session, community_id=community_id, prefix="BX", at=late_evening_utc)
        other = await next_ticket_number(session, community_id=community_id, prefix="TS", at=late_evening_utc)
    assert (first, second, other) == ("BX-20261125-0001", "BX-20261125-0002", "TS-20261125-0001")


async def test_concurrent_allocations_never_share_a_number(any_runtime):
    community_id = await _community_id(any_runtime)

    async def allocate() -> str:
        async with transaction(any_runtime.sessions) as session:
            return await next_ticket_number(session, community_id=community_id, prefix="BX")

    numbers = await asyncio.gather(*(allocate() for _ in range(20)))
    assert len(set(numbers)) == 20
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 21))
