"""The only code that changes alarm incidents: raise (one incident per sensor while open, an urgent work order
through the repairs service, on-duty security and the managers told), acknowledge, resolve, clear, escalate an
unacknowledged incident to the next person, and record linkage rules firing. Commands to doors are sent by the
caller (devices.alarms), which owns the broker side."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.alarms import messages as text
from workflows.alarms.models import AlarmIncident, IncidentStatus, LinkageFiring, LinkageRule
from workflows.alarms.states import TRANSITIONS
from workflows.audit.service import record_event
from workflows.clock import show, utcnow
from workflows.community.models import Community
from workflows.devices.models import Device, DeviceKind
from workflows.duty.service import on_duty_security
from workflows.escalations.service import Actor
from workflows.numbering import next_ticket_number
from workflows.outbox.notify import managers_of, tell_staff
from workflows.repairs import service as repairs
from workflows.repairs.models import Priority, Reporter
from workflows.staff.models import StaffUser
from workflows.statemachine import next_state

ACTIVE = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)
REPAIR_CATEGORY = {"elevator": "电梯", "flood": "水电"}  # others: 公共设施


async def open_incident_for(session: AsyncSession, *, device_id: int) -> AlarmIncident | None:
    return await session.scalar(select(AlarmIncident).where(AlarmIncident.device_id == device_id,
                                                            AlarmIncident.status.in_(ACTIVE)))


async def on_duty_chain(session: AsyncSession, *, community_id: int,
                        at: datetime | None = None) -> list[StaffUser]:
    """Who is told, in order: the security staff (保安) on duty by the community's roster (every active guard when
    nobody is rostered for the moment, workflows.duty), then its managers (项目经理)."""
    on_duty = await on_duty_security(session, community_id=community_id, at=at)
    return on_duty.staff + await managers_of(session, community_id=community_id)


def _fmt(incident: AlarmIncident, device: Device, community: Community, template: str, **extra: object) -> str:
    return template.format(community=community.name, device=device.name, location=device.location or "—",
                           alarm=incident.alarm_label, time=show(incident.first_at), number=incident.number,
                           **extra)


async def raise_alarm(session: AsyncSession, *, device: Device, alarm: str, detail: str = "",
                      at: datetime | None = None, ack_minutes: int = 5) -> tuple[AlarmIncident, bool]:
    """An alarm event: the sensor's open incident counts it (False), or a new incident with its urgent work order
    and notifications (True)."""
    at = at or utcnow()
    incident = await open_incident_for(session, device_id=device.id)
    if incident is not None:
        incident.event_count += 1
        incident.last_at = max(incident.last_at, at)
        return incident, False
    number = await next_ticket_number(session, community_id=device.community_id, prefix="BJ", at=at)
    incident = AlarmIncident(number=number, community_id=device.community_id, device_id=device.id, alarm=alarm,
                             detail=detail[:200], first_at=at, last_at=at,
                             next_escalation_at=utcnow() + timedelta(minutes=ack_minutes))
    session.add(incident)
    await session.flush()
    record_event(session, entity_type="alarm", entity_id=incident.id, action="raise", actor=f"device:{device.code}",
                 community_id=device.community_id, to_state=IncidentStatus.OPEN,
                 data={"number": number, "alarm": alarm, "device": device.code})
    ticket = await repairs.open_repair(
        session, community_id=device.community_id, openid=f"device:{device.code}",
        category=REPAIR_CATEGORY.get(alarm, "公共设施"), building_id=device.building_id, public_area=True,
        location_text=device.location or device.name, priority=Priority.URGENT,
        description=text.REPAIR_DESCRIPTION.format(number=number, device=device.name, location=device.location,
                                                   alarm=incident.alarm_label, detail=f"：{detail}" if detail else ""),
        submission_key=f"alarm:{incident.id}", reporter=Reporter.SYSTEM)
    incident.repair_ticket_id = ticket.id
    community = await session.get(Community, device.community_id)
    # Who is on duty now, whatever the device clock says: every guard the roster names, or with nobody rostered
    # the first guard (the others follow by escalation); and the managers.
    on_duty = await on_duty_security(session, community_id=device.community_id)
    guards = on_duty.staff if on_duty.rostered else on_duty.staff[:1]
    message = _fmt(incident, device, community, text.ALARM_TO_STAFF, ticket=ticket.number)
    for staff in [*guards, *await managers_of(session, community_id=device.community_id)]:
        await _tell(session, incident, staff, message, "raise")
    return incident, True


async def _tell(session: AsyncSession, incident: AlarmIncident, staff: StaffUser, message: str, why: str) -> None:
    await tell_staff(session, staff=staff, community_id=incident.community_id, text=message, ref=incident.number,
                     dedup=f"alarm:{incident.id}:{why}:{staff.id}")
    incident.notified_staff_ids = [*incident.notified_staff_ids, staff.id]


def _transition(session: AsyncSession, incident: AlarmIncident, action: str, actor: Actor, reason: str = "") -> None:
    old = incident.status
    incident.status = next_state(TRANSITIONS, old, action, actor.role)
    record_event(session, entity_type="alarm", entity_id=incident.id, action=action, actor=actor,
                 community_id=incident.community_id, from_state=old, to_state=incident.status, reason=reason,
                 data={"number": incident.number})


async def acknowledge(session: AsyncSession, *, incident: AlarmIncident, actor: Actor,
                      now: datetime | None = None) -> AlarmIncident:
    """确认: a person has it; escalation stops. TransitionNotAllowed when already acknowledged or not theirs."""
    _transition(session, incident, "acknowledge", actor)
    incident.acknowledged_by = actor.staff_id
    incident.acknowledged_at = now or utcnow()
    incident.next_escalation_at = None
    return incident


async def resolve(session: AsyncSession, *, incident: AlarmIncident, actor: Actor, reason: str = "",
                  now: datetime | None = None) -> AlarmIncident:
    _transition(session, incident, "resolve", actor, reason=reason)
    incident.resolved_at = now or utcnow()
    incident.next_escalation_at = None
    return incident


async def clear(session: AsyncSession, *, device: Device, at: datetime | None = None) -> AlarmIncident | None:
    """The sensor says the alarm is over; the incident stays until a person resolves it."""
    incident = await open_incident_for(session, device_id=device.id)
    if incident is not None:
        incident.cleared_at = at or utcnow()
    return incident


async def escalate_unacknowledged(session: AsyncSession, *, now: datetime | None = None,
                                  ack_minutes: int = 5) -> list[AlarmIncident]:
    """Incidents nobody acknowledged in time: the next person of the on-duty chain is told (after the last one,
    the whole chain again), and the clock starts over."""
    now = now or utcnow()
    due = list(await session.scalars(select(AlarmIncident).where(
        AlarmIncident.status == IncidentStatus.OPEN, AlarmIncident.next_escalation_at <= now)))
    for incident in due:
        device = await session.get(Device, incident.device_id)
        community = await session.get(Community, incident.community_id)
        chain = await on_duty_chain(session, community_id=incident.community_id, at=now)
        incident.escalation_level += 1
        waiting = [s for s in chain if s.id not in incident.notified_staff_ids]
        targets = waiting[:1] or chain
        minutes = int((now - incident.first_at).total_seconds() // 60)
        for staff in targets:
            await _tell(session, incident, staff, _fmt(incident, device, community, text.ALARM_ESCALATED,
                                                       minutes=minutes), f"level{incident.escalation_level}")
        incident.next_escalation_at = now + timedelta(minutes=ack_minutes)
        record_event(session, entity_type="alarm", entity_id=incident.id, action="escalate", actor="system",
                     community_id=incident.community_id, reason="unacknowledged",
                     data={"number": incident.number, "level": incident.escalation_level,
                           "told": [s.id for s in targets]})
    return due


async def doors_to_release(session: AsyncSession, *, incident: AlarmIncident,
                           device: Device) -> list[tuple[LinkageRule, Device]]:
    """The community's active rules for this alarm, each with the doors it covers."""
    rules = list(await session.scalars(select(LinkageRule).where(
        LinkageRule.community_id == incident.community_id, LinkageRule.alarm == incident.alarm,
        LinkageRule.active.is_(True)).order_by(LinkageRule.id)))
    pairs: list[tuple[LinkageRule, Device]] = []
    for rule in rules:
        query = select(Device).where(Device.community_id == incident.community_id, Device.kind == DeviceKind.GATE,
                                     Device.subtype == "door", Device.active.is_(True))
        if rule.scope == "building":
            query = query.where(Device.building_id == device.building_id)
        pairs += [(rule, door) for door in await session.scalars(query.order_by(Device.id))]
    return pairs


async def record_firing(session: AsyncSession, *, incident: AlarmIncident, rule: LinkageRule, door: Device,
                        command_id: str) -> LinkageFiring:
    firing = LinkageFiring(incident_id=incident.id, rule_id=rule.id, device_id=door.id, command_id=command_id)
    session.add(firing)
    record_event(session, entity_type="alarm", entity_id=incident.id, action="linkage", actor="system",
                 community_id=incident.community_id, reason=rule.description or f"{rule.alarm} → {rule.action}",
                 data={"number": incident.number, "rule": rule.id, "door": door.code, "command_id": command_id})
    return firing


async def add_rule(session: AsyncSession, *, community_id: int, alarm: str, action: str = "release",
                   scope: str = "building", description: str = "") -> LinkageRule:
    if scope not in ("building", "community"):
        raise ValueError("scope is building or community")
    rule = LinkageRule(community_id=community_id, alarm=alarm, action=action, scope=scope, description=description)
    session.add(rule)
    await session.flush()
    return rule


async def incidents_of(session: AsyncSession, *, community_ids: set[int], active_only: bool = True,
                       limit: int = 100) -> list[AlarmIncident]:
    query = select(AlarmIncident).where(AlarmIncident.community_id.in_(list(community_ids)))
    if active_only:
        query = query.where(AlarmIncident.status.in_(ACTIVE))
    return list(await session.scalars(query.order_by(AlarmIncident.id.desc()).limit(limit)))
