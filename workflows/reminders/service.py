"""催缴: finding households with unpaid bills past their due date, telling each bound owner once per reminder key,
at most once per N days per household, and stopping once they pay. Only this module writes bill_reminders.

The message goes through the outbox and the one 48-hour-window rule (workflows.outbox.notify.owner_channel): a
customer-service text while the owner's window is open, a template message after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.billing.models import Bill, BillStatus
from workflows.billing.pricing import yuan
from workflows.bindings.models import WechatBinding
from workflows.clock import utcnow
from workflows.community.models import Resident, ResidentRole
from workflows.outbox.notify import owner_channel
from workflows.outbox.quiet import is_quiet as in_quiet_hours
from workflows.outbox.quiet import parse_quiet_hours as quiet_hours_of
from workflows.outbox.service import enqueue
from workflows.payments.orders import unpaid_bills
from workflows.reminders import messages as text
from workflows.reminders.models import (
    DEFAULT_INTERVAL_DAYS,
    DEFAULT_QUIET_HOURS,
    DEFAULT_TIMEZONE,
    BillReminder,
    ReminderPolicy,
)

BATCH = 500
TEMPLATE = "bill_reminder"  # settings.wechat_template_ids key for owners outside the 48-hour window


class ReminderInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Policy:
    enabled: bool
    interval_days: int
    quiet_start: time
    quiet_end: time
    tz: ZoneInfo

    def is_quiet(self, now: datetime) -> bool:
        """Inside 免打扰 (e.g. 21:00–08:00, wrapping midnight) in the community's own time."""
        return in_quiet_hours(self.quiet_start, self.quiet_end, now.astimezone(self.tz).time())

    @property
    def quiet(self) -> dict[str, str]:
        """The quiet hours as an outbox payload carries them (workflows/outbox/quiet.py)."""
        return {"hours": f"{self.quiet_start:%H:%M}-{self.quiet_end:%H:%M}", "tz": self.tz.key}


def parse_quiet_hours(value: str) -> tuple[time, time]:
    try:
        return quiet_hours_of(value)
    except ValueError:
        raise ReminderInputError("quiet_hours", text.BAD_QUIET_HOURS) from None


def policy_of(row: ReminderPolicy | None) -> Policy:
    quiet = row.quiet_hours if row else DEFAULT_QUIET_HOURS
    start, end = parse_quiet_hours(quiet)
    return Policy(enabled=row.enabled if row else True, interval_days=row.interval_days if row else
                  DEFAULT_INTERVAL_DAYS, quiet_start=start, quiet_end=end,
                  tz=ZoneInfo(row.timezone if row else DEFAULT_TIMEZONE))


async def load_policy(session: AsyncSession, *, community_id: int) -> Policy:
    return policy_of(await session.get(ReminderPolicy, community_id))


async def save_policy(session: AsyncSession, *, community_id: int, enabled: bool, interval_days: str,
                      quiet_hours: str, timezone: str = DEFAULT_TIMEZONE, actor: str = "") -> ReminderPolicy:
    """Staff's 催缴设置; a bad value raises ReminderInputError naming its field, nothing saved."""
    try:
        days = int(str(interval_days).strip())
    except ValueError:
        raise ReminderInputError("interval_days", text.BAD_INTERVAL) from None
    if not 1 <= days <= 90:
        raise ReminderInputError("interval_days", text.BAD_INTERVAL)
    start, end = parse_quiet_hours(quiet_hours)
    try:
        ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ReminderInputError("timezone", text.BAD_TIMEZONE) from None
    row = await session.get(ReminderPolicy, community_id)
    if row is None:
        row = ReminderPolicy(community_id=community_id)
        session.add(row)
    row.enabled, row.interval_days, row.timezone, row.updated_by = enabled, days, timezone.strip(), actor
    row.quiet_hours = f"{start:%H:%M}-{end:%H:%M}"
    await session.flush()
    return row


async def overdue_households(session: AsyncSession, *, community_id: int, today: date) -> list[int]:
    """Households of the community with an unpaid bill whose due date has passed."""
    rows = await session.scalars(select(Bill.household_id).where(
        Bill.community_id == community_id, Bill.status == BillStatus.UNPAID, Bill.due_date < today)
        .group_by(Bill.household_id).order_by(Bill.household_id))
    return list(rows)


async def _recently_reminded(session: AsyncSession, household_ids: list[int], since_key: str) -> set[int]:
    return set(await session.scalars(select(BillReminder.household_id).where(
        BillReminder.household_id.in_(household_ids), BillReminder.reminder_key > since_key)))


async def _owners(session: AsyncSession, household_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Bound owners (业主) of each household: (openid, name)."""
    rows = await session.execute(select(WechatBinding.household_id, WechatBinding.openid, Resident.name)
                                 .join(Resident, Resident.id == WechatBinding.resident_id)
                                 .where(WechatBinding.household_id.in_(household_ids),
                                        Resident.role == ResidentRole.OWNER)
                                 .order_by(WechatBinding.id))
    owners: dict[int, list[tuple[str, str]]] = {}
    for household_id, openid, name in rows.all():
        owners.setdefault(household_id, []).append((openid, name))
    return owners


async def remind_households(session: AsyncSession, *, community_id: int, household_ids: list[int], key: str,
                            today: date, interval_days: int, now: datetime | None = None,
                            quiet: dict[str, str] | None = None) -> int:
    """Remind these households (one batch, the caller's transaction); returns how many were reminded. A household
    reminded within `interval_days`, or already under this key, or with no bound owner, is skipped. `quiet`
    travels with each message, so a retry is held until the community's quiet hours are over."""
    now = now or utcnow()
    since = (today - timedelta(days=interval_days)).isoformat()
    skip = await _recently_reminded(session, household_ids, since)
    todo = [hid for hid in household_ids if hid not in skip]
    owners = await _owners(session, todo)
    bills = await unpaid_bills(session, household_ids=[hid for hid in todo if hid in owners], on=today)
    overdue: dict[int, list] = {}
    for bill in bills:
        if bill.due_date < today:
            overdue.setdefault(bill.household_id, []).append(bill)
    reminded = 0
    for household_id, lines in overdue.items():
        total = sum(line.total_fen for line in lines)
        reminder = BillReminder(community_id=community_id, household_id=household_id, reminder_key=key,
                                bills=len(lines), owed_fen=total, created_at=now)
        try:
            async with session.begin_nested():  # another worker's run may have taken this key first
                session.add(reminder)
                await session.flush()
        except IntegrityError:
            continue
        outbox_ids, names = [], []
        for openid, name in owners[household_id]:
            kind = await owner_channel(session, openid=openid, now=now)
            message = await enqueue(
                session, kind=kind, community_id=community_id, dedup_key=f"reminder:{household_id}:{key}:{openid}",
                payload={"openid": openid, "template": TEMPLATE, "ref": f"reminder:{reminder.id}", "quiet": quiet,
                         "text": text.REMINDER_TEXT.format(name=name, household=lines[0].household,
                                                           count=len(lines), total=yuan(total))})
            if message is not None:
                outbox_ids.append(message.id)
                names.append(name)
        reminder.outbox_ids, reminder.recipients = outbox_ids, names
        reminded += 1
    return reminded
