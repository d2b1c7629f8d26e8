"""Stopping 催缴 once paid: the settling transaction calls this, so a reminder still waiting in the outbox for a
household that now owes nothing past due is never sent. Kept apart from service.py, which reads payments' views of
unpaid bills (workflows.payments imports this module)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus
from workflows.clock import local
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.reminders import messages as text
from workflows.reminders.models import BillReminder


async def cancel_pending_reminders(session: AsyncSession, *, household_ids: set[int], now: datetime) -> int:
    """Called when bills are settled: a household that now owes nothing past due gets no reminder still waiting
    in the outbox. Returns how many outbox rows were stopped."""
    reminders = list(await session.scalars(select(BillReminder).where(
        BillReminder.household_id.in_(household_ids), BillReminder.status == "sent",
        BillReminder.created_at > now - timedelta(days=3))))
    if not reminders:  # the usual case: one look-up per settlement
        return 0
    still_owing = set(await session.scalars(select(Bill.household_id).where(
        Bill.household_id.in_(household_ids), Bill.status == BillStatus.UNPAID, Bill.due_date < local(now).date())))
    reminders = [reminder for reminder in reminders if reminder.household_id not in still_owing]
    ids = [outbox_id for reminder in reminders for outbox_id in reminder.outbox_ids]
    if not ids:
        return 0
    stopped = list(await session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.DEAD, last_error=text.CANCELLED_REASON).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)))
    for reminder in reminders:
        if set(reminder.outbox_ids) & set(stopped):
            reminder.status = "cancelled"
    return len(stopped)

