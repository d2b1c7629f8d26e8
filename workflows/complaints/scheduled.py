"""The complaint timer: a first response later than 24 hours is flagged once and the managers are told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.complaints.models import OPEN_COMPLAINT_STATUSES, Complaint
from workflows.outbox.notify import tell_managers
from workflows.repairs import messages as text


async def check_complaint_slas(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Flag complaints past their first-response target; returns how many were newly flagged."""
    now = now or utcnow()
    late = list(await session.scalars(select(Complaint).where(
        Complaint.status.in_(OPEN_COMPLAINT_STATUSES), Complaint.first_response_at.is_(None),
        Complaint.respond_breached_at.is_(None), Complaint.respond_by < now).limit(200)))
    count = 0
    for complaint in late:
        flagged = await session.execute(update(Complaint).where(Complaint.id == complaint.id,
                                                                Complaint.respond_breached_at.is_(None))
                                        .values(respond_breached_at=now).execution_options(synchronize_session=False))
        if flagged.rowcount != 1:  # another worker flagged it first
            continue
        count += 1
        record_event(session, entity_type="complaint", entity_id=complaint.id, action="sla_respond_breached",
                     actor="system", community_id=complaint.community_id, data={"number": complaint.number})
        await tell_managers(session, community_id=complaint.community_id, ref=complaint.number,
                            dedup=f"complaint:{complaint.id}:sla-respond",
                            text=text.MANAGER_SLA_COMPLAINT.format(number=complaint.number,
                                                                   category=complaint.category))
    return count
