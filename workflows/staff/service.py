"""Staff accounts: creation, login with lockout and rate limits, password change, WeChat invite codes, 解锁/停用.

Login answers unknown usernames, wrong passwords and locked-out clients the same way, in the same time (one argon2
check each). Wrong passwords lock out one client (IP address + the browser's device cookie) of one username for
LOCK_MINUTES: a stranger elsewhere cannot lock a staff member out of their own browser. Past a number of failures on
a username from all clients, every attempt on it is slowed down (a slower path, not a wall). Only failures count
toward the per-address limit, so an office behind one NAT address logs in freely. Counters live in the state store
(Redis in production); if it is unavailable, the argon2 cost alone slows guessing.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import SYSTEM, Actor, require
from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.community.models import Community
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.staff.passwords import hash_password, verify_password
from workflows.statestore import StateStore, StateStoreUnavailable

log = logging.getLogger("linli.staff")

MAX_FAILURES = 5  # wrong passwords from one client before that client is locked out of the username
LOCK_MINUTES = 15
ATTEMPT_WINDOW_S = 600
SLOW_AFTER_FAILURES = 20  # failures on one username (all clients) per window before attempts are slowed down
SLOW_PATH_S = 2.0
MAX_FAILURES_PER_IP = 60  # failures (not logins) per address per window, then 429
MIN_PASSWORD_LENGTH = 8
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone

_DUMMY_HASH = hash_password("linli-timing-equaliser")


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"  # also: unknown username, or this client is locked out
    RATE_LIMITED = "rate_limited"
    INACTIVE = "inactive"  # the right password of a deactivated account


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    staff: StaffUser | None = None


class StaffError(ValueError):
    """A bad value for a staff account; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def password_version(staff: StaffUser) -> str:
    """A short fingerprint of the password hash and the session epoch: sessions carry it, so a password change
    or a deactivation ends the other sessions."""
    import hashlib

    return hashlib.sha256(f"{staff.password_hash}:{staff.session_epoch or 0}".encode()).hexdigest()[:12]


async def _count(state: StateStore, key: str, *, add: bool, ttl_s: float = ATTEMPT_WINDOW_S) -> int:
    try:
        if add:
            return await state.incr(key, ttl_s)
        value = await state.get(key)
        return int(value) if value and value.isdigit() else 0
    except StateStoreUnavailable:
        log.warning("state store unavailable: login counter %s skipped", key)
        return 0


async def _client_key(state: StateStore, username: str, client: str) -> str:
    """The failure counter of one client on one username; an unlock moves every client to a new generation."""
    try:
        generation = await state.get(f"login:gen:{username}") or "0"
    except StateStoreUnavailable:
        generation = "0"
    return f"login:fail:{username}:{generation}:{client}"


async def authenticate(session: AsyncSession, *, state: StateStore, username: str, password: str,
                       ip: str, client: str = "") -> LoginResult:
    """Check a login (`client`: the browser's device id, may be empty). See the module docstring for the rules."""
    username = username.strip().lower()
    if await _count(state, f"login:fail-ip:{ip}", add=False) >= MAX_FAILURES_PER_IP:
        return LoginResult(LoginOutcome.RATE_LIMITED)
    if await _count(state, f"login:fail-user:{username}", add=False) >= SLOW_AFTER_FAILURES:
        await asyncio.sleep(SLOW_PATH_S)
    client_key = await _client_key(state, username, f"{ip}|{client}")
    locked = await _count(state, client_key, add=False) >= MAX_FAILURES
    staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    # Exactly one argon2 check whatever the case: unknown, wrong and locked take the same time.
    correct = verify_password(staff.password_hash if staff is not None else _DUMMY_HASH, password)
    if staff is None or not correct or locked:
        await _count(state, f"login:fail-ip:{ip}", add=True)
        await _count(state, f"login:fail-user:{username}", add=True)
        failures = await _count(state, client_key, add=True, ttl_s=LOCK_MINUTES * 60)
        if staff is not None and failures == MAX_FAILURES:
            staff.locked_until = utcnow() + timedelta(minutes=LOCK_MINUTES)  # shown on 员工; lifted by 解锁
            record_event(session, entity_type="staff", entity_id=staff.id, action="locked", actor=SYSTEM,
                         reason=f"{MAX_FAILURES} wrong passwords from {ip}")
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if not staff.active:
        return LoginResult(LoginOutcome.INACTIVE)
    try:
        await state.delete(client_key)
    except StateStoreUnavailable:
        pass
    record_event(session, entity_type="staff", entity_id=staff.id, action="login", actor=Actor.of_staff(staff),
                 data={"ip": ip})
    return LoginResult(LoginOutcome.OK, staff=staff)


async def lift_lockouts(state: StateStore, *, username: str) -> None:
    """After 解锁: every client locked out of this username may try again."""
    try:
        await state.incr(f"login:gen:{username.strip().lower()}", 86400)
    except StateStoreUnavailable:
        log.warning("state store unavailable: lockouts of %s not lifted", username)


def check_new_password(password: str, *, username: str = "") -> None:
    """Raise StaffError when a new password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError("new_password", f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if username and password.lower() == username.lower():
        raise StaffError("new_password", "密码不能和用户名相同")


async def change_password(session: AsyncSession, *, staff: StaffUser, old_password: str, new_password: str) -> None:
    """Change a staff member's own password after checking the old one."""
    if not verify_password(staff.password_hash, old_password):
        raise StaffError("old_password", "原密码不对")
    check_new_password(new_password, username=staff.username)
    staff.password_hash = hash_password(new_password)
    staff.password_changed_at = utcnow()
    record_event(session, entity_type="staff", entity_id=staff.id, action="password_changed",
                 actor=Actor.of_staff_id(staff.id))


async def create_staff(session: AsyncSession, *, username: str, display_name: str, role: Role,
                       community_codes: list[str], password: str, phone: str = "", skills: str = "",
                       actor: str = "cli") -> StaffUser:
    """Create a staff account assigned to the given communities (admins need none: they see all)."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise StaffError("username", "用户名只能包含字母、数字和 . _ -")
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise StaffError("username", "这个用户名已经有人用了")
    check_new_password(password, username=username)
    staff = StaffUser(username=username, display_name=display_name or username, role=role, phone=phone,
                      skills=skills, password_hash=hash_password(password), password_changed_at=utcnow())
    for code in community_codes:
        community = await session.scalar(select(Community).where(Community.code == code))
        if community is None:
            raise StaffError("community", f"没有编号为 {code} 的小区")
        staff.assignments.append(StaffCommunity(community_id=community.id))
    if role != Role.ADMIN and not staff.assignments:
        raise StaffError("community", "除管理员外，员工至少要分配一个小区")
    session.add(staff)
    await session.flush()
    record_event(session, entity_type="staff", entity_id=staff.id, action="created", actor=actor,
                 data={"username": username, "role": role.value, "communities": community_codes})
    return staff


async def issue_invite_code(session: AsyncSession, *, staff: StaffUser, actor: str) -> str:
    """A fresh code the staff member sends to the official account as 员工绑定 CODE to bind their WeChat."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(6))
        if await session.scalar(select(StaffUser.id).where(StaffUser.wechat_invite_code == code)) is None:
            break
    staff.wechat_invite_code = code
    record_event(session, entity_type="staff", entity_id=staff.id, action="invite_code", actor=actor)
    return code


@dataclass(frozen=True)
class StaffBound:
    """Who a WeChat was just bound to (员工绑定), as chat tells them."""

    username: str
    display_name: str
    role: Role


async def bind_staff_wechat(session: AsyncSession, *, code: str, openid: str) -> StaffBound | None:
    """Bind the WeChat openid that sent a valid invite code; the code works once. None: unknown code."""
    code = code.strip().upper()
    if not code:
        return None
    staff = await session.scalar(select(StaffUser).where(StaffUser.wechat_invite_code == code,
                                                         StaffUser.active.is_(True)))
    if staff is None:
        return None
    previous = await session.scalar(select(StaffUser).where(StaffUser.wechat_openid == openid))
    if previous is not None and previous.id != staff.id:
        previous.wechat_openid = None
        await session.flush()
    staff.wechat_openid = openid
    staff.wechat_invite_code = None
    record_event(session, entity_type="staff", entity_id=staff.id, action="wechat_bound", actor=Actor.owner(openid))
    return StaffBound(username=staff.username, display_name=staff.display_name, role=staff.role)


async def staff_for_openid(session: AsyncSession, *, openid: str) -> StaffUser | None:
    """The active staff member bound to this WeChat openid, if any: every chat lookup of staff goes through here,
    so a deactivated account is nobody in chat."""
    return await session.scalar(select(StaffUser).where(StaffUser.wechat_openid == openid,
                                                        StaffUser.active.is_(True)))


async def manage_account(session: AsyncSession, *, staff: StaffUser, action: str, actor: Actor) -> None:
    """解锁 / 停用 / 启用 another account, as workflows.access allows. Deactivation also ends the account's sessions
    (the session epoch changes) and its WeChat binding and invite code."""
    require(actor, action, staff)
    before = {"active": staff.active, "locked_until": str(staff.locked_until),
              "wechat_bound": bool(staff.wechat_openid)}
    if action == "unlock":
        staff.locked_until, staff.failed_logins = None, 0
    elif action == "deactivate":
        staff.active = False
        staff.wechat_openid = None
        staff.wechat_invite_code = None
        staff.session_epoch += 1
    elif action == "activate":
        staff.active = True
    else:
        raise ValueError(f"unknown account action {action}")
    record_event(session, entity_type="staff", entity_id=staff.id, action=action, actor=actor,
                 community_id=min(staff.community_ids) if staff.community_ids else None,
                 data={"before": before, "after": {"active": staff.active, "locked_until": None,
                                                   "wechat_bound": bool(staff.wechat_openid)}})
