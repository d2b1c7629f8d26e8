"""催缴 reminders: the scheduled job reminds each bound owner of a household past due once per key, at most once per
N days, never in quiet hours, and stops once the household has paid (SQLite and PostgreSQL)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.workflows.payments.factories import bound_payer
from workflows.billing.models import Bill, BillStatus
from workflows.clock import SHANGHAI
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.payments.models import PaymentMethod
from workflows.payments.orders import record_offline_payment
from workflows.reminders.models import BillReminder, ReminderRun
from workflows.reminders.scheduled import remind_community, run_scheduled_reminders
from workflows.reminders.service import ReminderInputError, save_policy
from workflows.repairs.service import staff_actor

MORNING = datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI)  # November's bills are past due, and December's parking


async def _reminders(runtime, household_id):
    async with runtime.sessions() as session:
        return list(await session.scalars(select(BillReminder).where(BillReminder.household_id == household_id)
                                          .order_by(BillReminder.id)))


async def _outbox_for(runtime, openid):
    async with runtime.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedup_key.like("reminder:%"), OutboxMessage.payload["openid"].as_string() == openid)))


async def test_a_bound_owner_past_due_is_reminded_once_and_a_rerun_sends_nothing_twice(any_runtime):
    payer = await bound_payer(any_runtime)
    outcomes = await run_scheduled_reminders(any_runtime.sessions, now=MORNING)
    assert any(o.community_id == payer.community_id and o.reminded >= 1 for o in outcomes)
    [reminder] = await _reminders(any_runtime, payer.household_id)
    assert reminder.reminder_key == "2026-12-07" and reminder.recipients == ["张伟"]
    async with any_runtime.sessions() as session:
        past_due = await session.scalar(select(func.count(Bill.id)).where(
            Bill.household_id == payer.household_id, Bill.status == BillStatus.UNPAID,
            Bill.due_date < MORNING.date()))
    assert reminder.bills == past_due >= 4 and reminder.owed_fen > 0
    [message] = await _outbox_for(any_runtime, payer.openid)
    text = message.payload["text"]
    assert "张伟您好" in text and "1栋1单元101" in text and "缴费" in text and "已过缴费日期" in text
    assert len(text) < 120  # short
    assert message.kind == "wechat.template"  # he never wrote to the account: outside the 48-hour window
    assert message.payload["quiet"] == {"hours": "21:00-08:00", "tz": "Asia/Shanghai"}  # held if retried at night
    # the same day again, from this worker or another one after the run's row was lost: nothing new
    assert await run_scheduled_reminders(any_runtime.sessions, now=MORNING + timedelta(hours=3)) == []
    async with transaction(any_runtime.sessions) as session:
        run = await session.scalar(select(ReminderRun).where(ReminderRun.community_id == payer.community_id))
        await session.delete(run)
    again = await remind_community(any_runtime.sessions, community_id=payer.community_id,
                                   now=MORNING + timedelta(hours=4))
    assert again is not None and again.reminded == 0
    assert len(await _reminders(any_runtime, payer.household_id)) == 1
    assert len(await _outbox_for(any_runtime, payer.openid)) == 1


async def test_at_most_one_reminder_per_interval_and_the_interval_is_set_per_community(runtime):
    payer = await bound_payer(runtime)
    async with transaction(runtime.sessions) as session:
        await save_policy(session, community_id=payer.community_id, enabled=True, interval_days="3",
                          quiet_hours="21:00-08:00")
    for day in range(0, 7):
        await remind_community(runtime.sessions, community_id=payer.community_id, now=MORNING + timedelta(days=day))
    keys = [r.reminder_key for r in await _reminders(runtime, payer.household_id)]
    assert keys == ["2026-12-07", "2026-12-10", "2026-12-13"]


async def test_nothing_is_sent_in_quiet_hours(runtime):
    payer = await bound_payer(runtime)
    for moment in (datetime(2026, 12, 7, 21, 0, tzinfo=SHANGHAI), datetime(2026, 12, 7, 23, 59, tzinfo=SHANGHAI),
                   datetime(2026, 12, 8, 7, 59, tzinfo=SHANGHAI)):
        assert await remind_community(runtime.sessions, community_id=payer.community_id, now=moment) is None
    assert await _reminders(runtime, payer.household_id) == []
    done = await remind_community(runtime.sessions, community_id=payer.community_id,
                                  now=datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI))
    assert done is not None and done.key == "2026-12-08"


async def test_a_disabled_community_sends_nothing(runtime):
    payer = await bound_payer(runtime)
    async with transaction(runtime.sessions) as session:
        await save_policy(session, community_id=payer.community_id, enabled=False, interval_days="7",
                          quiet_hours="21:00-08:00")
    assert await remind_community(runtime.sessions, community_id=payer.community_id, now=MORNING) is None


async def test_paying_stops_the_waiting_reminder_and_the_next_ones(any_runtime):
    payer = await bound_payer(any_runtime)
    await remind_community(any_runtime.sessions, community_id=payer.community_id, now=MORNING)
    [message] = await _outbox_for(any_runtime, payer.openid)
    assert message.status == OutboxStatus.PENDING  # no AppSecret in tests: it waits in the outbox
    async with transaction(any_runtime.sessions) as session:
        past_due = list(await session.scalars(select(Bill.id).where(
            Bill.household_id == payer.household_id, Bill.status == BillStatus.UNPAID,
            Bill.due_date < MORNING.date())))
        await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=past_due,
                                     method=PaymentMethod.CASH, actor=staff_actor(payer.staff["manager"]),
                                     paid_at=MORNING + timedelta(hours=1))
    [message] = await _outbox_for(any_runtime, payer.openid)
    assert message.status == OutboxStatus.DEAD and "已缴费" in message.last_error
    [reminder] = await _reminders(any_runtime, payer.household_id)
    assert reminder.status == "cancelled"
    for day in (7,):  # past the interval: still nothing (December's 物业费 is due on the 15th)
        await remind_community(any_runtime.sessions, community_id=payer.community_id,
                               now=MORNING + timedelta(days=day))
    assert len(await _reminders(any_runtime, payer.household_id)) == 1


async def test_bad_reminder_settings_are_refused_with_their_field(runtime):
    payer = await bound_payer(runtime)
    for field, days, quiet, zone in (("interval_days", "0", "21:00-08:00", "Asia/Shanghai"),
                                     ("interval_days", "-3", "21:00-08:00", "Asia/Shanghai"),
                                     ("interval_days", "abc", "21:00-08:00", "Asia/Shanghai"),
                                     ("quiet_hours", "7", "25:00-08:00", "Asia/Shanghai"),
                                     ("quiet_hours", "7", "晚上", "Asia/Shanghai"),
                                     ("timezone", "7", "21:00-08:00", "Mars/Olympus")):
        async with transaction(runtime.sessions) as session:
            try:
                await save_policy(session, community_id=payer.community_id, enabled=True, interval_days=days,
                                  quiet_hours=quiet, timezone=zone)
            except ReminderInputError as exc:
                assert exc.field == field
            else:
                raise AssertionError(f"{days} {quiet} {zone} accepted")


async def test_the_worker_runs_the_reminder_job_like_the_daily_backup(runtime):
    from linli.app import create_app

    app = create_app(runtime=runtime, start_loops=False)
    loops = {loop.name: loop for loop in app.state.loops}
    assert loops["bill-reminders"].scope == loops["backup"].scope == "worker"
    assert isinstance(await loops["bill-reminders"].run_once(), list)


async def test_paying_only_part_of_what_is_past_due_leaves_the_reminder_going(runtime):
    payer = await bound_payer(runtime)
    await remind_community(runtime.sessions, community_id=payer.community_id, now=MORNING)
    async with transaction(runtime.sessions) as session:
        one = await session.scalar(select(Bill.id).where(
            Bill.household_id == payer.household_id, Bill.status == BillStatus.UNPAID,
            Bill.due_date < MORNING.date()).limit(1))
        await record_offline_payment(session, household_ids=[payer.household_id], bill_ids=[one],
                                     method=PaymentMethod.CASH, actor=staff_actor(payer.staff["manager"]),
                                     paid_at=MORNING + timedelta(hours=1))
    [message] = await _outbox_for(runtime, payer.openid)
    assert message.status == OutboxStatus.PENDING
    [reminder] = await _reminders(runtime, payer.household_id)
    assert reminder.status == "sent"
