from sqlalchemy import func, select

from workflows.complaints.models import Complaint
from workflows.db import transaction
from workflows.repairs.demo import seed_repair_demo
from workflows.repairs.models import RepairStatus, RepairTicket


async def test_demo_tickets_cover_the_states_and_are_seeded_once(runtime):
    async with transaction(runtime.sessions) as session:
        assert await seed_repair_demo(session) == 8
    async with transaction(runtime.sessions) as session:
        assert await seed_repair_demo(session) == 0
    async with runtime.sessions() as session:
        statuses = set(await session.scalars(select(RepairTicket.status)))
        ratings = list(await session.scalars(select(RepairTicket.rating).where(RepairTicket.rating.is_not(None))))
        assert await session.scalar(select(func.count(Complaint.id))) == 2
    assert {RepairStatus.RATED, RepairStatus.COMPLETED, RepairStatus.IN_PROGRESS, RepairStatus.ACCEPTED,
            RepairStatus.DISPATCHED} <= statuses
    assert sorted(ratings) == [3, 4, 5, 5]
