"""The only code that changes visitor rows: issue a pass (QR token + backup code), list and revoke an owner's passes,
and decide at a gate whether a presented pass admits (signature, window, uses left, revoked), recording every
attempt as an entry. Plain values in and out; the gate's open command is the caller's (devices.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from workflows.access import SYSTEM, Actor
from workflows.audit.service import record_event
from workflows.clock import as_utc, utcnow
from workflows.numbering import next_ticket_number
from workflows.statemachine import next_state
from workflows.visitors import tokens
from workflows.visitors.models import EntryResult, PassKind, PassStatus, VisitorEntry, VisitorPass
from workflows.visitors.states import TRANSITIONS

GATE_ACTOR = SYSTEM
EARLY_GRACE = timedelta(minutes=30)  # a visitor may arrive a little early
MAX_WINDOW = timedelta(days=7)
# Why a pass was refused (VisitorEntry.reason); the gate and staff pages show these.
REFUSALS = {"unknown": "无效通行码", "signature": "通行码不正确", "not_yet": "未到来访时间", "expired": "已过期",
            "revoked": "已取消", "used": "已使用", "wrong_community": "不是本小区的通行证",
            "rate_limited": "尝试过于频繁"}


class PassRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedPass:
    visitor_pass: VisitorPass
    token: str  # the QR content
    backup_code: str | None  # shown once; None when the same submission was issued before


@dataclass(frozen=True)
class GateDecision:
    admitted: bool
    reason: str  # "" when admitted, else a REFUSALS key
    visitor_pass: VisitorPass | None
    entry: VisitorEntry


def token_for(key: bytes, visitor_pass: VisitorPass) -> str:
    return tokens.sign(key, tokens.TokenClaims(pass_id=visitor_pass.id, valid_from=as_utc(visitor_pass.valid_from),
                                               valid_until=as_utc(visitor_pass.valid_until),
                                               nonce=visitor_pass.nonce))


async def _unique_code(session: AsyncSession, key: bytes, community_id: int) -> tuple[str, str]:
    """A backup code no active pass of the community has (collisions are rare; they are simply drawn again)."""
    while True:
        code = tokens.new_backup_code()
        digest = tokens.code_hash(key, community_id=community_id, code=code)
        taken = await session.scalar(select(VisitorPass.id).where(
            VisitorPass.community_id == community_id, VisitorPass.code_hash == digest,
            VisitorPass.status == PassStatus.ACTIVE))
        if taken is None:
            return code, digest


async def issue_visitor_pass(session: AsyncSession, *, key: bytes, community_id: int, household_id: int,
                             openid: str, visitor_name: str, valid_from: datetime, valid_until: datetime,
                             visitor_phone: str = "", plate: str = "", people: int = 1, max_uses: int | None = 1,
                             kind: PassKind = PassKind.PREREGISTERED, submission_key: str | None = None,
                             actor: Actor | None = None) -> IssuedPass:
    """Register a visitor for a household and return the pass with its token and its backup code (shown once)."""
    if submission_key is not None:
        existing = await session.scalar(select(VisitorPass).where(VisitorPass.submission_key == submission_key))
        if existing is not None:
            return IssuedPass(existing, token_for(key, existing), None)
    if not valid_from < valid_until or valid_until - valid_from > MAX_WINDOW:
        raise ValueError("the window must be positive and at most 7 days")
    code, digest = await _unique_code(session, key, community_id)
    number = await next_ticket_number(session, community_id=community_id, prefix="FK")
    row = VisitorPass(number=number, community_id=community_id, household_id=household_id, openid=openid,
                      kind=kind, visitor_name=visitor_name[:40], visitor_phone=visitor_phone[:20], plate=plate[:10],
                      people=max(1, people), valid_from=valid_from, valid_until=valid_until, max_uses=max_uses,
                      nonce=tokens.new_nonce(), code_hash=digest, submission_key=submission_key)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        if submission_key is None:
            raise
        existing = await session.scalar(select(VisitorPass).where(VisitorPass.submission_key == submission_key))
        return IssuedPass(existing, token_for(key, existing), None)
    record_event(session, entity_type="visitor_pass", entity_id=row.id, action="issue",
                 actor=actor or Actor.owner(openid), community_id=community_id, to_state=PassStatus.ACTIVE,
                 data={"number": number, "kind": kind.value, "max_uses": max_uses})
    return IssuedPass(row, token_for(key, row), code)


@dataclass(frozen=True)
class PassView:
    """A visitor pass as its owner sees it in chat (我的访客)."""

    id: int
    number: str
    visitor_name: str
    valid_from: datetime
    valid_until: datetime
    status: PassStatus
    status_label: str

    @classmethod
    def of(cls, row: VisitorPass) -> PassView:
        return cls(id=row.id, number=row.number, visitor_name=row.visitor_name, valid_from=row.valid_from,
                   valid_until=row.valid_until, status=row.status, status_label=row.status_label)


async def passes_of_owner(session: AsyncSession, *, openid: str, now: datetime | None = None,
                          limit: int = 10) -> list[PassView]:
    """The owner's passes still usable or upcoming (active, window not over), soonest first."""
    now = now or utcnow()
    rows = await session.scalars(select(VisitorPass).where(
        VisitorPass.openid == openid, VisitorPass.status == PassStatus.ACTIVE, VisitorPass.valid_until > now)
        .order_by(VisitorPass.valid_from).limit(limit))
    return [PassView.of(row) for row in rows]


async def own_pass(session: AsyncSession, *, pass_id: int, openid: str) -> PassView | None:
    """One of the owner's passes, or None when it is not theirs."""
    row = await session.get(VisitorPass, pass_id)
    return PassView.of(row) if row is not None and row.openid == openid else None


def _transition(session: AsyncSession, row: VisitorPass, action: str, actor: Actor, reason: str = "") -> None:
    old = row.status
    row.status = next_state(TRANSITIONS, old, action, actor.role)
    record_event(session, entity_type="visitor_pass", entity_id=row.id, action=action, actor=actor,
                 community_id=row.community_id, from_state=old, to_state=row.status, reason=reason,
                 data={"number": row.number, "uses": row.uses})


async def revoke_pass(session: AsyncSession, *, pass_id: int, actor: Actor, openid: str | None = None,
                      now: datetime | None = None) -> PassView | None:
    """取消: an owner revokes one of their own passes (openid given), or staff revoke one; None if not theirs/active."""
    row = await session.get(VisitorPass, pass_id)
    if row is None or (openid is not None and row.openid != openid) or row.status != PassStatus.ACTIVE:
        return None
    _transition(session, row, "revoke", actor)
    row.revoked_at = now or utcnow()
    return PassView.of(row)


async def _find(session: AsyncSession, key: bytes, *, community_id: int, presented: str,
                method: str) -> VisitorPass:
    if method == "code" or tokens.looks_like_code(presented):
        digest = tokens.code_hash(key, community_id=community_id, code=presented)
        row = await session.scalar(select(VisitorPass).where(VisitorPass.community_id == community_id,
                                                             VisitorPass.code_hash == digest)
                                   .order_by(VisitorPass.id.desc()).limit(1))
        if row is None:
            raise PassRefused("unknown")
        return row
    try:
        claims = tokens.verify(key, presented)
    except tokens.BadToken as exc:
        raise PassRefused("signature" if str(exc) == "signature" else "unknown") from exc
    row = await session.get(VisitorPass, claims.pass_id)
    if row is None or row.nonce != claims.nonce:
        raise PassRefused("unknown")
    if row.community_id != community_id:
        raise PassRefused("wrong_community")
    return row


def _check(row: VisitorPass, now: datetime) -> None:
    if row.status == PassStatus.REVOKED:
        raise PassRefused("revoked")
    if row.status == PassStatus.USED or (row.max_uses is not None and row.uses >= row.max_uses):
        raise PassRefused("used")
    if now < as_utc(row.valid_from) - EARLY_GRACE:
        raise PassRefused("not_yet")
    if now >= as_utc(row.valid_until):
        raise PassRefused("expired")


async def admit_at_gate(session: AsyncSession, *, key: bytes, community_id: int, presented: str, method: str,
                        device_id: int | None = None, now: datetime | None = None) -> GateDecision:
    """Validate a pass presented at a gate and record the entry: admitted (a use counted) or refused with why."""
    now = now or utcnow()
    row: VisitorPass | None = None
    try:
        row = await _find(session, key, community_id=community_id, presented=presented.strip(), method=method)
        _check(row, now)
        async with session.begin_nested():  # the version column: two gates taking the last use, one wins
            row.uses += 1
            last = row.max_uses is not None and row.uses >= row.max_uses
            _transition(session, row, "enter_last" if last else "enter", GATE_ACTOR)
            await session.flush()
    except PassRefused as refused:
        return await _entry(session, community_id, row, device_id, method, refused.reason)
    except StaleDataError:
        return await _entry(session, community_id, None, device_id, method, "used")
    return await _entry(session, community_id, row, device_id, method, "")


async def _entry(session: AsyncSession, community_id: int, row: VisitorPass | None, device_id: int | None,
                 method: str, reason: str) -> GateDecision:
    entry = VisitorEntry(community_id=community_id, pass_id=row.id if row else None, device_id=device_id,
                         method=method, result=EntryResult.REFUSED if reason else EntryResult.ADMITTED,
                         reason=reason)
    session.add(entry)
    await session.flush()
    return GateDecision(admitted=not reason, reason=reason, visitor_pass=row, entry=entry)


async def refuse_at_gate(session: AsyncSession, *, community_id: int, device_id: int | None, method: str,
                         reason: str) -> GateDecision:
    """Record a refusal decided before looking at the pass (rate limit)."""
    return await _entry(session, community_id, None, device_id, method, reason)
