"""Walk-in visitors (门岗登记): a guard registers a visitor for a household; the owner is asked in WeChat
「访客 X 到访 Y，是否同意？」 and answers 1 同意 / 2 拒绝; only an openid bound to that household can answer; no answer
before the deadline tells the guard to call the owner (the guard who registered it, or when WeChat does not reach
them, the security staff on duty by the roster). Communities that need no approval admit at once. Opening the
gate is the caller's (bot.visit_approval / the back office through devices.commands); the result is recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor, may, require
from workflows.audit.service import record_event
from workflows.bindings.models import WechatBinding
from workflows.clock import as_utc, utcnow
from workflows.community.models import Building, Community, Household, Resident
from workflows.devices.models import Device, DeviceKind
from workflows.duty.service import on_duty_security
from workflows.numbering import next_ticket_number
from workflows.outbox.notify import tell_staff
from workflows.outbox.service import enqueue
from workflows.staff.models import StaffUser
from workflows.staff.service import staff_for_openid
from workflows.statemachine import next_state
from workflows.visitors.models import EntryResult, VisitorEntry, WalkIn, WalkInStatus
from workflows.visitors.policy import visitor_policy
from workflows.visitors.states import WALK_IN_TRANSITIONS

ASK_OWNER = ("【访客到访】访客 {name}{plate}{people} 到访 {home}，是否同意进入？\n"
             "回复 1 同意，2 拒绝（{minutes} 分钟内有效）。")
TO_GUARD = {
    "approved": "【{number}】业主已同意访客 {name} 进入 {home}。{gate}",
    "denied": "【{number}】业主拒绝了访客 {name}（{home}），请勿放行。",
    "timed_out": "【{number}】业主 {minutes} 分钟内没有答复访客 {name}（{home}），请电话联系业主：{phones}。",
    "no_approval": "【{number}】本小区访客无需业主同意：访客 {name}（{home}）可以进入。{gate}",
}
GATE_OPENED = "闸机已开启。"
GATE_NOT_OPENED = "闸机未能远程开启（{why}），请人工放行。"
GATE_NONE = "请人工放行。"
WHY = {"broker_down": "设备网关未连接", "no_ack": "闸机没有回应"}


def _transition(session: AsyncSession, walk_in: WalkIn, action: str, role: str, actor: Actor | str) -> None:
    old = walk_in.status
    walk_in.status = next_state(WALK_IN_TRANSITIONS, old, action, role)
    record_event(session, entity_type="walk_in", entity_id=walk_in.id, action=action, actor=actor,
                 community_id=walk_in.community_id, from_state=old, to_state=walk_in.status,
                 data={"number": walk_in.number})


STAFF_ONLY, NOT_ALLOWED = "staff_only", "not_allowed"


@dataclass(frozen=True)
class Registrar:
    """Who registers a walk-in from their own WeChat (门岗登记): the staff member and their communities, or why not."""

    refused: str = ""  # "" when they may; STAFF_ONLY (nobody on staff) or NOT_ALLOWED (their role may not)
    staff_id: int = 0
    communities: tuple[tuple[int, str], ...] = ()  # (id, name), as the guard chooses among them


async def may_register(session: AsyncSession, *, openid: str) -> bool:
    """The active staff member bound to this WeChat may register walk-ins (workflows.access, section walk_ins)."""
    staff = await staff_for_openid(session, openid=openid)
    return staff is not None and may(Actor.of_staff(staff), "register", "walk_ins")


async def registrar_for(session: AsyncSession, *, openid: str) -> Registrar:
    """The staff member behind this WeChat and the communities they register walk-ins for."""
    staff = await staff_for_openid(session, openid=openid)
    if staff is None:
        return Registrar(STAFF_ONLY)
    actor = Actor.of_staff(staff)
    if not may(actor, "register", "walk_ins"):
        return Registrar(NOT_ALLOWED)
    query = select(Community).order_by(Community.id)
    if staff.community_ids and not actor.is_admin:
        query = query.where(Community.id.in_(staff.community_ids))
    communities = tuple((c.id, c.name) for c in await session.scalars(query))
    return Registrar(staff_id=staff.id, communities=communities) if communities else Registrar(NOT_ALLOWED)


async def gates_of(session: AsyncSession, *, community_id: int) -> list[tuple[int, str, str]]:
    """The community's active gates and doors as (id, name, location), to open when the owner agrees."""
    gates = await session.scalars(select(Device).where(Device.community_id == community_id,
                                                       Device.kind == DeviceKind.GATE, Device.active.is_(True))
                                  .order_by(Device.id))
    return [(g.id, g.name, g.location or "") for g in gates]


async def owner_openids(session: AsyncSession, *, household_id: int) -> list[str]:
    return list(await session.scalars(select(WechatBinding.openid).where(WechatBinding.household_id == household_id)
                                      .order_by(WechatBinding.id)))


async def home_label(session: AsyncSession, household_id: int) -> str:
    """How guards and owners say the home: 1栋1单元101."""
    household = await session.get(Household, household_id)
    building = await session.get(Building, household.building_id)
    return f"{building.name}{household.room}"


async def register_walk_in(session: AsyncSession, *, community_id: int, household_id: int, guard: StaffUser,
                           visitor_name: str, plate: str = "", people: int = 1, gate_device_id: int | None = None,
                           now: datetime | None = None) -> WalkIn:
    """门岗登记: ask the household's owners (or admit at once where the community needs no approval). Forbidden
    for a role that may not register visitors (workflows.access: section walk_ins)."""
    require(Actor.of_staff(guard), "register", "walk_ins")
    now = now or utcnow()
    household = await session.get(Household, household_id)
    if household is None or household.community_id != community_id:
        raise LookupError("no such household in this community")
    policy = await visitor_policy(session, community_id=community_id)
    walk_in = WalkIn(number=await next_ticket_number(session, community_id=community_id, prefix="LF", at=now),
                     community_id=community_id, household_id=household_id, gate_device_id=gate_device_id,
                     guard_staff_id=guard.id, visitor_name=visitor_name[:40], plate=plate[:10], people=max(1, people),
                     deadline_at=now + timedelta(minutes=policy.approval_timeout_minutes))
    session.add(walk_in)
    await session.flush()
    record_event(session, entity_type="walk_in", entity_id=walk_in.id, action="register",
                 actor=Actor.of_staff_id(guard.id), community_id=community_id, to_state=WalkInStatus.PENDING,
                 data={"number": walk_in.number})
    openids = await owner_openids(session, household_id=household_id)
    if not policy.approval_required:
        _transition(session, walk_in, "approve", "system", "policy")
        walk_in.decided_by, walk_in.decided_at = "policy", now
        return walk_in
    home = await home_label(session, household_id)
    text = ASK_OWNER.format(name=walk_in.visitor_name, plate=f"（车牌 {plate}）" if plate else "",
                            people=f"等 {people} 人" if people > 1 else "", home=home,
                            minutes=policy.approval_timeout_minutes)
    for openid in openids:
        await enqueue(session, kind="wechat.text", community_id=community_id,
                      dedup_key=f"walk-in:{walk_in.id}:{openid}",
                      payload={"openid": openid, "text": text, "template": "visitor_approval", "ref": walk_in.number})
    if not openids:  # nobody to ask: the guard calls at once
        await time_out(session, walk_in=walk_in, now=now)
    return walk_in


@dataclass(frozen=True)
class WalkInView:
    """A walk-in as the owner asked about it sees it (访客到访确认)."""

    id: int
    visitor_name: str


async def pending_for_owner(session: AsyncSession, *, openid: str,
                            now: datetime | None = None) -> WalkInView | None:
    """The newest walk-in still waiting for an answer from a household this openid is bound to."""
    now = now or utcnow()
    households = select(WechatBinding.household_id).where(WechatBinding.openid == openid)
    walk_in = await session.scalar(select(WalkIn).where(WalkIn.household_id.in_(households),
                                                        WalkIn.status == WalkInStatus.PENDING,
                                                        WalkIn.deadline_at > now)
                                   .order_by(WalkIn.id.desc()).limit(1))
    return WalkInView(walk_in.id, walk_in.visitor_name) if walk_in else None


async def decide(session: AsyncSession, *, walk_in_id: int, openid: str, approve: bool,
                 now: datetime | None = None) -> WalkInView | None:
    """The owner's answer; None when this openid may not answer it (another household) or it is no longer open."""
    now = now or utcnow()
    walk_in = await session.get(WalkIn, walk_in_id)
    if walk_in is None or walk_in.status != WalkInStatus.PENDING or as_utc(walk_in.deadline_at) <= now:
        return None
    if openid not in await owner_openids(session, household_id=walk_in.household_id):
        return None
    _transition(session, walk_in, "approve" if approve else "deny", "owner", Actor.owner(openid))
    walk_in.decided_by, walk_in.decided_at = f"owner:{openid}", now
    if not approve:
        session.add(VisitorEntry(community_id=walk_in.community_id, device_id=walk_in.gate_device_id,
                                 method="walk_in", result=EntryResult.REFUSED, reason="denied"))
        await tell_guard(session, walk_in=walk_in, event="denied")
    return WalkInView(walk_in.id, walk_in.visitor_name)


async def record_gate(session: AsyncSession, *, walk_in: WalkIn, command_id: str | None, result: str) -> None:
    """After an approval: what the gate did (opened, broker_down, no_ack, refused:…, none), the entry, the guard."""
    walk_in.command_id, walk_in.gate_result = command_id, result[:40]
    session.add(VisitorEntry(community_id=walk_in.community_id, device_id=walk_in.gate_device_id, method="walk_in",
                             result=EntryResult.ADMITTED, command_id=command_id))
    await tell_guard(session, walk_in=walk_in, event="approved" if walk_in.decided_by != "policy" else "no_approval")


async def time_out(session: AsyncSession, *, walk_in: WalkIn, now: datetime | None = None) -> None:
    _transition(session, walk_in, "time_out", "system", "system")
    walk_in.decided_by, walk_in.decided_at = "system", now or utcnow()
    await tell_guard(session, walk_in=walk_in, event="timed_out")


async def time_out_unanswered(session: AsyncSession, *, now: datetime | None = None) -> list[WalkIn]:
    """Walk-ins past their deadline: the guard is told to call the owner."""
    now = now or utcnow()
    due = list(await session.scalars(select(WalkIn).where(WalkIn.status == WalkInStatus.PENDING,
                                                          WalkIn.deadline_at <= now)))
    for walk_in in due:
        await time_out(session, walk_in=walk_in, now=now)
    return due


def gate_sentence(result: str, why: str = "") -> str:
    if result == "opened":
        return GATE_OPENED
    if result == "none":
        return GATE_NONE
    return GATE_NOT_OPENED.format(why=WHY.get(result, "闸机拒绝执行" if result.startswith("refused") else why))


async def tell_guard(session: AsyncSession, *, walk_in: WalkIn, event: str) -> None:
    guard = await session.get(StaffUser, walk_in.guard_staff_id)
    policy = await visitor_policy(session, community_id=walk_in.community_id)
    phones = [r.phone for r in await session.scalars(select(Resident).where(
        Resident.household_id == walk_in.household_id)) if r.phone]
    text = TO_GUARD[event].format(number=walk_in.number, name=walk_in.visitor_name,
                                  home=await home_label(session, walk_in.household_id),
                                  minutes=policy.approval_timeout_minutes, phones="、".join(phones) or "（无登记电话）",
                                  gate=gate_sentence(walk_in.gate_result or "none", walk_in.gate_result))
    record_event(session, entity_type="walk_in", entity_id=walk_in.id, action=f"tell_guard:{event}", actor="system",
                 community_id=walk_in.community_id, reason=text[:500], data={"number": walk_in.number})
    for staff in await _guards_to_tell(session, walk_in=walk_in, guard=guard):
        await tell_staff(session, staff=staff, community_id=walk_in.community_id, text=text, ref=walk_in.number,
                         dedup=f"walk-in:{walk_in.id}:guard:{event}:{staff.id}")


async def _guards_to_tell(session: AsyncSession, *, walk_in: WalkIn, guard: StaffUser | None) -> list[StaffUser]:
    """The guard who registered the visitor, when WeChat reaches them; otherwise (registered on a shared gate
    phone, not bound, or since deactivated) the security staff on duty now by the roster (workflows.duty)."""
    if guard is not None and guard.active and guard.wechat_openid:
        return [guard]
    on_duty = await on_duty_security(session, community_id=walk_in.community_id)
    return [staff for staff in on_duty.staff if staff.wechat_openid]
