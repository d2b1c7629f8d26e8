"""The only code that binds WeChat openids to households (绑定房屋) and decides binding requests (绑定申请).

An owner binds by naming a resident of the household and the last four digits of the resident's phone; when that
does not match the roster, a BindingRequest waits for staff. One openid may bind several households. Every change
writes an audit row; decisions tell the owner through the outbox. After a change commits, callers drop the bot's
cached profile with `forget_cached_profile` (the key lives here because the back office cannot import the bot).

"May be bound" openids: the state store keeps a set (`BOUND_OPENIDS_KEY`) holding every openid that has, or may
have, a binding — loaded from wechat_bindings by `load_bound_openids` (each process at start and every few minutes)
and extended by `forget_cached_profile` on every change. It is a superset, never a subset: an openid missing from a
loaded set is certainly unbound, so the bot needs no database query for a new owner. Members are never removed
(an unbound openid stays a "maybe" and just costs the query). The set counts as loaded only while it holds
`BOUND_OPENIDS_LOADED`, added after everything else: a flushed or evicted set means "unknown", i.e. ask the database.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from workflows.access import Actor
from workflows.audit.service import record_event
from workflows.bindings.models import BindingRequest, BindingRequestStatus, WechatBinding
from workflows.bindings.states import TRANSITIONS
from workflows.clock import utcnow
from workflows.community.models import Building, Community, Household, Resident, ResidentRole
from workflows.outbox.service import enqueue
from workflows.statemachine import TransitionNotAllowed, apply_transition
from workflows.statestore import StateStore

PROFILE_CACHE_KEY = "owner:{openid}"
BOUND_OPENIDS_KEY = "bindings:openids"
BOUND_OPENIDS_LOADED = " loaded"  # never an openid (openids have no spaces)


class BindingError(Exception):
    """A request that cannot be decided (unknown, already decided)."""


@dataclass(frozen=True)
class BoundHouseholdView:
    """One binding as the owner sees it."""

    binding_id: int
    household_id: int
    community_id: int
    community_name: str
    label: str  # 1栋1单元101
    resident_id: int
    resident_name: str
    resident_phone: str

    @property
    def full_label(self) -> str:
        return f"{self.community_name} {self.label}"


def request_reference(request: BindingRequest) -> str:
    """A sayable reference for a binding request: SQ-000123."""
    return f"SQ-{request.id:06d}"


def _last4(phone: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch in "0123456789")[-4:]


def _name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


async def _household(session: AsyncSession, household_id: int) -> Household | None:
    return await session.scalar(select(Household).where(Household.id == household_id)
                                .options(selectinload(Household.building), selectinload(Household.residents)))


async def household_label(session: AsyncSession, *, household_id: int) -> str:
    """阳光花园 1栋1单元101."""
    household = await _household(session, household_id)
    if household is None:
        return ""
    community = await session.get(Community, household.community_id)
    return f"{community.name if community else ''} {household.label}".strip()


async def _bind(session: AsyncSession, *, openid: str, household: Household, resident: Resident,
                actor: str, reason: str) -> tuple[WechatBinding, bool]:
    existing = await session.scalar(select(WechatBinding).where(WechatBinding.openid == openid,
                                                                WechatBinding.household_id == household.id))
    if existing is not None:
        return existing, False
    binding = WechatBinding(openid=openid, community_id=household.community_id, household_id=household.id,
                            resident_id=resident.id)
    session.add(binding)
    await session.flush()
    record_event(session, entity_type="binding", entity_id=binding.id, action="bind", actor=actor,
                 community_id=household.community_id, to_state="bound", reason=reason,
                 data={"household_id": household.id, "resident_id": resident.id})
    return binding, True


async def verify_and_bind(session: AsyncSession, *, openid: str, household_id: int, name: str,
                          phone_last4: str) -> tuple[WechatBinding | None, bool]:
    """Bind when a resident of the household has this name and phone ending; returns (binding, newly_created),
    or (None, False) when nothing matches. Binding twice is harmless."""
    household = await _household(session, household_id)
    if household is None:
        return None, False
    wanted_name = _name(name)
    for resident in household.residents:
        if _name(resident.name) == wanted_name and _last4(resident.phone) == _last4(phone_last4) \
                and len(_last4(phone_last4)) == 4:
            return await _bind(session, openid=openid, household=household, resident=resident,
                               actor=Actor.owner(openid), reason="roster match")
    record_event(session, entity_type="binding", entity_id=household_id, action="verify_failed",
                 actor=Actor.owner(openid), community_id=household.community_id)
    return None, False


async def request_binding(session: AsyncSession, *, openid: str, household_id: int, name: str, phone: str = "",
                          role: str = ResidentRole.OWNER.value) -> BindingRequest:
    """Ask staff to approve a binding the roster could not confirm; an open request for the same flat is reused."""
    existing = await session.scalar(select(BindingRequest).where(
        BindingRequest.openid == openid, BindingRequest.household_id == household_id,
        BindingRequest.status == BindingRequestStatus.PENDING))
    if existing is not None:
        existing.name, existing.phone = name[:50], phone[:20]
        return existing
    household = await _household(session, household_id)
    if household is None:
        raise BindingError("unknown household")
    request = BindingRequest(openid=openid, community_id=household.community_id, household_id=household_id,
                             name=name[:50], phone=phone[:20], role=role)
    session.add(request)
    await session.flush()
    record_event(session, entity_type="binding_request", entity_id=request.id, action="request",
                 actor=Actor.owner(openid), community_id=household.community_id,
                 to_state=BindingRequestStatus.PENDING, data={"household_id": household_id})
    return request


@dataclass(frozen=True)
class BindOutcome:
    """What an owner hears after 绑定房屋: bound (now or before), or a request waiting for staff."""

    label: str  # 阳光花园 1栋1单元101
    bound: bool
    created: bool = False  # a new binding; False when it was bound already
    reference: str = ""  # SQ-000012, when a request waits for staff


async def bind_or_request(session: AsyncSession, *, openid: str, household_id: int, name: str, phone_last4: str,
                          phone: str) -> BindOutcome:
    """Bind on a roster match (name and phone ending); otherwise file (or reuse) a request for staff to approve."""
    binding, created = await verify_and_bind(session, openid=openid, household_id=household_id, name=name,
                                             phone_last4=phone_last4)
    label = await household_label(session, household_id=household_id)
    if binding is not None:
        return BindOutcome(label=label, bound=True, created=created)
    request = await request_binding(session, openid=openid, household_id=household_id, name=name, phone=phone)
    return BindOutcome(label=label, bound=False, reference=request_reference(request))


async def list_bindings(session: AsyncSession, *, openid: str) -> list[BoundHouseholdView]:
    """The households bound to this openid, oldest first (owners see only their own). One plain joined SELECT of
    columns: the bot calls this for every owner it has not seen for ten minutes."""
    rows = await session.execute(
        select(WechatBinding.id, WechatBinding.household_id, WechatBinding.community_id, Community.name,
               Building.name, Household.room, WechatBinding.resident_id, Resident.name, Resident.phone)
        .join(Community, Community.id == WechatBinding.community_id)
        .join(Household, Household.id == WechatBinding.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Resident, Resident.id == WechatBinding.resident_id)
        .where(WechatBinding.openid == openid)
        .order_by(WechatBinding.id))
    return [BoundHouseholdView(binding_id=binding_id, household_id=household_id, community_id=community_id,
                               community_name=community_name, label=f"{building}{room}", resident_id=resident_id,
                               resident_name=resident_name, resident_phone=resident_phone)
            for (binding_id, household_id, community_id, community_name, building, room, resident_id,
                 resident_name, resident_phone) in rows]


async def unbind(session: AsyncSession, *, openid: str, binding_id: int) -> BoundHouseholdView | None:
    """Remove one of this openid's bindings; another owner's binding id finds nothing."""
    views = {v.binding_id: v for v in await list_bindings(session, openid=openid)}
    view = views.get(binding_id)
    if view is None:
        return None
    binding = await session.get(WechatBinding, binding_id)
    await session.delete(binding)
    record_event(session, entity_type="binding", entity_id=binding_id, action="unbind", actor=Actor.owner(openid),
                 community_id=view.community_id, from_state="bound", to_state="unbound",
                 data={"household_id": view.household_id})
    return view


async def _pending_request(session: AsyncSession, request_id: int) -> BindingRequest:
    request = await session.get(BindingRequest, request_id)
    if request is None:
        raise BindingError("unknown binding request")
    if request.status != BindingRequestStatus.PENDING:
        raise BindingError("binding request already decided")
    return request


async def approve_request(session: AsyncSession, *, request_id: int, actor: Actor,
                          resident_id: int | None = None) -> WechatBinding:
    """Staff approve: bind to the given resident, or add the requester to the household's roster and bind;
    the owner is told through the outbox. Scoping to the staff member's communities is the caller's job."""
    request = await _pending_request(session, request_id)
    household = await _household(session, request.household_id)
    assert household is not None
    resident = next((r for r in household.residents if r.id == resident_id), None) if resident_id else None
    if resident is None:
        role = request.role if request.role in {r.value for r in ResidentRole} else ResidentRole.OWNER.value
        resident = Resident(community_id=household.community_id, household_id=household.id, name=request.name,
                            phone=request.phone, role=ResidentRole(role))
        session.add(resident)
        await session.flush()
    binding, _ = await _bind(session, openid=request.openid, household=household, resident=resident,
                             actor=actor, reason=f"request {request_reference(request)} approved")
    await _decide(session, request, "approve", actor, "")
    label = await household_label(session, household_id=household.id)
    await enqueue(session, kind="wechat.text", community_id=household.community_id,
                  dedup_key=f"binding-request:{request.id}:approved",
                  payload={"openid": request.openid,
                           "text": f"您的绑定申请 {request_reference(request)} 已通过：{label}。现在可以办事啦。"})
    return binding


async def reject_request(session: AsyncSession, *, request_id: int, actor: Actor, note: str = "") -> BindingRequest:
    """Staff reject, with an optional note the owner sees; the owner is told through the outbox."""
    request = await _pending_request(session, request_id)
    await _decide(session, request, "reject", actor, note)
    label = await household_label(session, household_id=request.household_id)
    reason = f"原因：{note}。" if note else ""
    await enqueue(session, kind="wechat.text", community_id=request.community_id,
                  dedup_key=f"binding-request:{request.id}:rejected",
                  payload={"openid": request.openid,
                           "text": f"您的绑定申请 {request_reference(request)}（{label}）没有通过。{reason}"
                                   "如有疑问请回复“转人工”。"})
    return request


async def _decide(session: AsyncSession, request: BindingRequest, action: str, actor: Actor, note: str) -> None:
    """Through the transition table; a decision made meanwhile by someone else (the version) is BindingError."""
    try:
        await apply_transition(session, request, table=TRANSITIONS, action=action, actor=actor,
                               entity_type="binding_request", reason=note, reference=request_reference(request),
                               changes={"decided_by": actor.staff_id, "decided_at": utcnow(), "note": note[:200]})
    except TransitionNotAllowed as exc:
        raise BindingError("binding request already decided") from exc


async def forget_cached_profile(state: StateStore, *, openid: str) -> None:
    """After a binding change has committed: mark the openid "may be bound" and drop the bot's cached profile."""
    await state.add_to_set(BOUND_OPENIDS_KEY, [openid])
    await state.delete(PROFILE_CACHE_KEY.format(openid=openid))


async def load_bound_openids(session: AsyncSession, state: StateStore) -> int:
    """Add every openid with a binding to the "may be bound" set, then mark the set loaded; returns how many."""
    openids = list(await session.scalars(select(WechatBinding.openid).distinct()))
    await state.add_to_set(BOUND_OPENIDS_KEY, openids)
    await state.add_to_set(BOUND_OPENIDS_KEY, [BOUND_OPENIDS_LOADED])
    return len(openids)


async def may_be_bound(state: StateStore, *, openid: str) -> bool:
    """False only when the openid certainly has no binding (the set is loaded and does not hold it)."""
    found, loaded = await state.in_set(BOUND_OPENIDS_KEY, [openid, BOUND_OPENIDS_LOADED])
    return found or not loaded
