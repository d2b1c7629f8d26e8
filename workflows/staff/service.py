"""Staff accounts: creation, login with rate limits and lockout, password change, WeChat invite codes.

Lockout lives on the StaffUser row (failed_logins, locked_until) so it holds across workers; attempt counters per
username and per IP live in the state store (Redis in production) and slow down guessing across accounts.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workflows.access import Actor, require
from workflows.audit.service import record_event
from workflows.clock import utcnow
from workflows.community.models import Community
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.staff.passwords import hash_password, verify_password
from workflows.statestore import StateStore, StateStoreUnavailable

log = logging.getLogger("linli.staff")

MAX_FAILURES = 5  # consecutive wrong passwords before the account is locked
LOCK_MINUTES = 15
ATTEMPT_WINDOW_S = 600
MAX_ATTEMPTS_PER_USERNAME = 20  # per window, also for usernames that do not exist
MAX_ATTEMPTS_PER_IP = 60
MIN_PASSWORD_LENGTH = 8
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone

_DUMMY_HASH = hash_password("linli-timing-equaliser")


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    staff: StaffUser | None = None
    locked_until: datetime | None = None
    failures_left: int | None = None


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


async def _count_attempt(state: StateStore, key: str) -> int:
    try:
        return await state.incr(key, ATTEMPT_WINDOW_S)
    except StateStoreUnavailable:  # the per-account lockout in the database still protects
        log.warning("state store unavailable: login attempt counter %s skipped", key)
        return 0


async def authenticate(session: AsyncSession, *, state: StateStore, username: str, password: str,
                       ip: str) -> LoginResult:
    """Check a login; counts attempts per username and IP, locks the account after MAX_FAILURES wrong passwords."""
    username = username.strip().lower()
    by_ip = await _count_attempt(state, f"login:ip:{ip}")
    by_user = await _count_attempt(state, f"login:user:{username}")
    if by_ip > MAX_ATTEMPTS_PER_IP or by_user > MAX_ATTEMPTS_PER_USERNAME:
        return LoginResult(LoginOutcome.RATE_LIMITED)
    staff = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    now = utcnow()
    if staff is None:
        verify_password(_DUMMY_HASH, password)  # same time as a real check: usernames are not enumerable
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if staff.locked_until is not None and staff.locked_until > now:
        return LoginResult(LoginOutcome.LOCKED, locked_until=staff.locked_until)
    if not verify_password(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILURES:
            staff.failed_logins = 0
            staff.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            record_event(session, entity_type="staff", entity_id=staff.id, action="locked", actor="system",
                         reason=f"{MAX_FAILURES} wrong passwords from {ip}")
            return LoginResult(LoginOutcome.LOCKED, locked_until=staff.locked_until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS, failures_left=MAX_FAILURES - staff.failed_logins)
    if not staff.active:
        return LoginResult(LoginOutcome.INACTIVE)
    staff.failed_logins = 0
    staff.locked_until = None
    record_event(session, entity_type="staff", entity_id=staff.id, action="login", actor=f"staff:{staff.id}",
                 data={"ip": ip})
    return LoginResult(LoginOutcome.OK, staff=staff)


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
                 actor=f"staff:{staff.id}")


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


async def bind_staff_wechat(session: AsyncSession, *, code: str, openid: str) -> StaffUser | None:
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
    record_event(session, entity_type="staff", entity_id=staff.id, action="wechat_bound", actor=f"owner:{openid}")
    return staff


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
    record_event(session, entity_type="staff", entity_id=staff.id, action=action, actor=actor.audit_name,
                 community_id=min(staff.community_ids) if staff.community_ids else None,
                 data={"before": before, "after": {"active": staff.active, "locked_until": None,
                                                   "wechat_bound": bool(staff.wechat_openid)}})
