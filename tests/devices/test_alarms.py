"""Alarm linkage: an alarm becomes one incident with an urgent work order, on-duty security and the manager are told,
a flood from one sensor stays one incident, nobody acknowledging sends it to the next person, and the community's
linkage rule (smoke/fire → release the building's doors) fires through the broker and is recorded."""

from datetime import timedelta

from sqlalchemy import select, update

from devices.alarms import AlarmLinkage
from devices.schema import AlarmData, AlarmEvent
from tests.devices.conftest import eventually, start_gateway, start_simulator
from workflows.alarms import service as alarms
from workflows.alarms.models import AlarmIncident, IncidentStatus, LinkageFiring
from workflows.clock import utcnow
from workflows.db import transaction
from workflows.devices import service as devices
from workflows.devices.models import CommandStatus, Device, DeviceCommand
from workflows.escalations.service import Actor
from workflows.outbox.models import OutboxMessage
from workflows.repairs.models import Priority, RepairTicket
from workflows.staff.models import StaffUser
from workflows.statemachine import TransitionNotAllowed


async def _bind_staff(runtime) -> dict[str, str]:
    """Security and the manager bound to WeChat, so notices reach them in chat."""
    openids = {"baoan": "wx-baoan", "manager": "wx-manager"}
    async with transaction(runtime.sessions) as session:
        for username, openid in openids.items():
            await session.execute(update(StaffUser).where(StaffUser.username == username)
                                  .values(wechat_openid=openid))
    return openids


async def _alarm(runtime, code="lift-b1", kind="elevator", n=1):
    handler = AlarmLinkage(runtime)
    for i in range(n):
        async with transaction(runtime.sessions) as session:
            device = await session.scalar(select(Device).where(Device.code == code))
            await handler(session, device, AlarmEvent(type="alarm", id=f"e{i}", at=utcnow(),
                                                      data=AlarmData(alarm=kind, detail="1号电梯")))


async def _incidents(runtime) -> list[AlarmIncident]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AlarmIncident).order_by(AlarmIncident.id)))


async def _told(runtime) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text")
                                     .order_by(OutboxMessage.id))
        return [row.payload["openid"] for row in rows]


async def test_an_alarm_is_one_urgent_work_order_and_security_and_the_manager_are_told(runtime):
    openids = await _bind_staff(runtime)
    await _alarm(runtime, n=6)  # a flood from one sensor
    [incident] = await _incidents(runtime)
    assert incident.event_count == 6 and incident.status == IncidentStatus.OPEN and incident.number.startswith("BJ-")
    async with runtime.sessions() as session:
        ticket = await session.get(RepairTicket, incident.repair_ticket_id)
    assert ticket.priority == Priority.URGENT and ticket.category == "电梯" and incident.number in ticket.description
    told = await _told(runtime)
    assert openids["baoan"] in told and openids["manager"] in told and len(told) == len(set(told))


async def test_unacknowledged_alarms_go_to_the_next_person_and_acknowledging_stops_that(runtime):
    await _bind_staff(runtime)
    await _alarm(runtime)
    [incident] = await _incidents(runtime)
    async with transaction(runtime.sessions) as session:
        assert await alarms.escalate_unacknowledged(session) == []  # not yet due
        chain = await alarms.on_duty_chain(session, community_id=incident.community_id)
        escalated = await alarms.escalate_unacknowledged(session, now=utcnow() + timedelta(minutes=6))
        assert [i.id for i in escalated] == [incident.id]
    [incident] = await _incidents(runtime)
    # the demo chain is one guard then one manager, both told at once: after them, the whole chain again
    assert [s.username for s in chain] == ["baoan", "manager"]
    assert incident.escalation_level == 1 and incident.notified_staff_ids == [chain[0].id, chain[1].id] * 2
    manager = next(s for s in chain if s.role.value == "manager")
    async with transaction(runtime.sessions) as session:
        row = await session.get(AlarmIncident, incident.id)
        await alarms.acknowledge(session, incident=row, actor=Actor(role="manager", staff_id=manager.id))
        assert await alarms.escalate_unacknowledged(session, now=utcnow() + timedelta(hours=1)) == []
        try:
            await alarms.acknowledge(session, incident=row, actor=Actor(role="manager", staff_id=manager.id))
            raise AssertionError("acknowledged twice")
        except TransitionNotAllowed:
            pass


async def test_a_front_desk_role_cannot_acknowledge(runtime):
    await _alarm(runtime)
    [incident] = await _incidents(runtime)
    async with transaction(runtime.sessions) as session:
        row = await session.get(AlarmIncident, incident.id)
        try:
            await alarms.acknowledge(session, incident=row, actor=Actor(role="front_desk", staff_id=1))
            raise AssertionError("front desk acknowledged")
        except TransitionNotAllowed:
            pass


async def test_a_smoke_alarm_releases_the_buildings_doors_through_the_broker(runtime, broker, topic_root, running):
    linkage = AlarmLinkage(runtime)
    await start_gateway(runtime, running, url=broker, root=topic_root,
                        handlers={"alarm": linkage, "alarm_clear": linkage})
    sim = await start_simulator(running, url=broker, root=topic_root)
    await sim.alarm("smoke-b1", detail="1楼大堂")

    async def fired():
        async with runtime.sessions() as session:
            return list(await session.scalars(select(LinkageFiring)))

    firings = await eventually(fired)
    assert firings, "the linkage rule did not fire"
    async with runtime.sessions() as session:
        door = await session.get(Device, firings[0].device_id)
        assert door.code == "door-b1"  # the sensor's building only; the south gate stays as it is

    async def acked():
        async with runtime.sessions() as session:
            command = await devices.command_by_id(session, command_id=firings[0].command_id)
            return command.status == CommandStatus.ACKED and command.action == "release"

    assert await eventually(acked)
    assert sim.by_code["door-b1"].executed and not sim.by_code["gate-south-in"].executed
    await sim.alarm("smoke-b1")  # still burning: the same incident, no second firing
    await sim.alarm("smoke-b1", clear=True)

    async def cleared():
        return (await _incidents(runtime))[0].cleared_at is not None

    assert await eventually(cleared)
    [incident] = await _incidents(runtime)
    assert incident.event_count == 2 and len(await fired()) == 1
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(DeviceCommand)))) == 1


async def test_security_acknowledges_in_the_back_office_and_the_front_desk_may_not(runtime):
    from tests.backoffice.helpers import staff_client

    await _alarm(runtime)
    [incident] = await _incidents(runtime)
    async with staff_client(runtime, "kefu") as client:
        assert incident.number in (await client.page("/admin/alarms")).text
        assert (await client.api("POST", f"/admin/api/alarms/{incident.id}/acknowledge")).status_code == 403
    async with staff_client(runtime, "baoan") as client:
        page = await client.page("/admin/alarms")
        assert "确认" in page.text and "BX-" in page.text  # the urgent work order is linked
        answer = await client.api("POST", f"/admin/api/alarms/{incident.id}/acknowledge")
        assert answer.status_code == 200
        assert (await client.api("POST", f"/admin/api/alarms/{incident.id}/acknowledge")).status_code == 409
    [incident] = await _incidents(runtime)
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by is not None


async def test_an_alarms_work_order_never_writes_an_owner_notice_to_the_sensor(runtime):
    """Its reporter is the system (the sensor), not an owner: accepting, starting and completing it tell the
    technician's side as usual but leave no outbox row addressed to device:lift-b1 (nobody could receive it)."""
    from workflows.repairs import service as repairs
    from workflows.repairs.models import RepairStatus, Reporter

    await _alarm(runtime)
    [incident] = await _incidents(runtime)
    async with transaction(runtime.sessions) as session:
        ticket = await session.get(RepairTicket, incident.repair_ticket_id)
        assert ticket.reporter == Reporter.SYSTEM and ticket.openid == "device:lift-b1"
        if ticket.assignee_id is None:
            technician = await session.scalar(select(StaffUser).where(StaffUser.role == "technician"))
            manager = await session.scalar(select(StaffUser).where(StaffUser.username == "manager"))
            await repairs.assign(session, ticket=ticket, actor=Actor.of_staff(manager), technician=technician)
        technician = await session.get(StaffUser, ticket.assignee_id)
        for action in ("accept", "start", "complete"):
            await repairs.perform(session, ticket=ticket, action=action, actor=Actor.of_staff(technician))
        assert ticket.status == RepairStatus.COMPLETED
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert not [r for r in rows if str(r.payload.get("openid", "")).startswith("device:")]
    assert not [r for r in rows if r.payload.get("event") in ("accepted", "on_the_way", "completed")]


async def test_the_guard_rostered_on_duty_is_told_not_the_one_off_duty(runtime):
    from tests.workflows.duty.test_duty_roster import _second_guard
    from workflows.duty import service as duty

    openids = await _bind_staff(runtime)
    async with transaction(runtime.sessions) as session:
        _, second, community_id = await _second_guard(session)  # 钱保安, bound as wx-qian
        await duty.add_shift(session, community_id=community_id, staff_id=second.id, weekdays="每天",
                             starts="00:00", ends="00:00", label="全天", actor="test")
    await _alarm(runtime)
    told = await _told(runtime)
    assert "wx-qian" in told and openids["manager"] in told and openids["baoan"] not in told
    async with runtime.sessions() as session:
        chain = await alarms.on_duty_chain(session, community_id=community_id)
    assert [s.username for s in chain] == ["qian.baoan", "manager"]


async def test_every_guard_the_roster_puts_on_duty_is_told_at_once(runtime):
    """Two guards rostered now: both hear of the alarm when it is raised (with nobody rostered, the first guard
    does and the others follow by escalation)."""
    from tests.workflows.duty.test_duty_roster import _second_guard
    from workflows.duty import service as duty

    openids = await _bind_staff(runtime)
    async with transaction(runtime.sessions) as session:
        first, second, community_id = await _second_guard(session)
        for guard in (first, second):
            await duty.add_shift(session, community_id=community_id, staff_id=guard.id, weekdays="每天",
                                 starts="00:00", ends="00:00", actor="test")
    await _alarm(runtime)
    told = await _told(runtime)
    assert {openids["baoan"], "wx-qian", openids["manager"]} <= set(told) and len(told) == 3
