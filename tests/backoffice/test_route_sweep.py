"""The probe's passing checks, kept in the suite and generated from the app's route table (issue #18):

- every write route under /admin refuses a request without the session's CSRF token and one with a wrong token
  (403, nothing changed);
- every route whose path names a community-scoped record answers staff of 翠湖苑 (every role) asking for a record of
  阳光花园 with 403 or 404, shows none of its data and changes nothing, while an admin reaches the same record
  through the same URL (so the refusal is the scope, not a bad URL);
- every other page and JSON list under /admin shows 翠湖苑's staff nothing of 阳光花园.

A route is covered as soon as it exists: the test fails for a path parameter it does not know (add it to
RECORD_PARAMS or VALUE_PARAMS) and for a route outside /admin that is not in EXEMPT with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from fastapi.routing import iter_route_contexts
from sqlalchemy import func, inspect, select
from starlette.routing import Mount

from backoffice import messages as m
from tests.backoffice.factories import raise_escalation
from tests.backoffice.helpers import staff_client
from tests.workflows.repairs.factories import demo, open_ticket
from workflows.activities.models import Activity
from workflows.alarms.models import AlarmIncident
from workflows.announcements.models import Announcement
from workflows.audit.models import AuditEvent
from workflows.billing.models import FeeItem
from workflows.bindings.models import BindingRequest
from workflows.clock import utcnow
from workflows.community.models import Community, Household, Resident
from workflows.complaints import service as complaints
from workflows.complaints.models import Complaint
from workflows.db import transaction
from workflows.devices.models import Device
from workflows.duty.models import DutyShift
from workflows.escalations.models import Escalation
from workflows.faq.models import FaqEntry
from workflows.outbox.models import OutboxMessage
from workflows.payments.models import PaymentIssue, Receipt
from workflows.points.models import Redemption, Reward
from workflows.repairs.models import RepairTicket
from workflows.staff.models import Role, StaffCommunity, StaffUser
from workflows.staff.passwords import hash_password

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")

# Routes outside the staff session, and why the sweep does not apply to them (each has tests of its own).
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/wechat"): "WeChat's URL check: signature-verified, no cookie session (tests/bot/wechat)",
    ("HEAD", "/wechat"): "WeChat's URL check: signature-verified, no cookie session (tests/bot/wechat)",
    ("POST", "/wechat"): "WeChat's webhook: signature-verified, no cookie session, so no CSRF (tests/bot/wechat)",
    ("GET", "/healthz/knowledge"): "readiness of the FAQ index: counts only, no community data",
    ("GET", "/healthz"): "liveness: no data",
    ("GET", "/metrics"): "token or loopback only (tests/linli/test_hardening.py)",
    ("GET", "/docs"): "redirects to the staff-only /admin/docs",
    ("GET", "/openapi.json"): "redirects to the staff-only /admin/openapi.json",
    ("*", "/admin/static"): "static files: no data, no writes",
}
EXEMPT_PREFIXES: dict[str, str] = {
    "/pay/": "the owner's WeChat Pay pages and the provider's signed callbacks: no staff session, owners are "
             "identified by signed links and the callbacks by signatures (tests/bot/pay, tests/workflows/payments)",
}

# Path parameters that are plain values, not records: the value each route is swept with.
VALUE_PARAMS: dict[str, dict[str, str]] = {
    "action": {"/admin/escalations/{escalation_id}/{action}": "claim",
               "/admin/api/escalations/{escalation_id}/{action}": "claim",
               "/admin/announcements/{announcement_id}/{action}": "publish",
               "/admin/alarms/{incident_id}/{action}": "acknowledge",
               "/admin/api/alarms/{incident_id}/{action}": "acknowledge",
               "/admin/complaints/{complaint_id}/{action}": "comment",
               "/admin/staff/{staff_id}/{action}": "unlock",
               "/admin/repairs/{ticket_id}/act/{action}": "accept"},
    "decision": {"*": "reject"},
    "index": {"*": "0"},
    "name": {"/admin/dashboard/export/{name}": "repairs_by_category"},
    "kind": {"/admin/finance/points/rules/{community_id}/{kind}": "on_time"},
}
# A body every write route understands well enough to reach its record (extra fields are ignored).
FORM = {"body": "扫描测试", "note": "扫描测试", "reason": "扫描测试", "text": "扫描测试", "question": "扫描测试",
        "answer": "扫描测试"}
JSON = {"action": "comment", "body": "扫描测试", "note": "扫描测试", "as_template": False, "question": "扫描测试",
        "answer": "扫描测试"}
JSON_BY_PATH = {"/admin/api/repairs/{ticket_id}/actions": {**JSON, "action": "accept"}}
TECHNICIAN = "wang.shifu"  # 阳光花园's technician: what the assign routes name
READERS = ("sweep.manager", "sweep.tech", "sweep.guard", "sweep.finance", "cuihu.kefu")  # all of 翠湖苑 only
MARK = "乙小区扫描记录"  # text in 阳光花园's records that 翠湖苑's staff must never see


@dataclass
class Record:
    model: type
    key: Any  # what the path carries
    where: Any  # how to find the row again
    marker: str | None = None


def _params(path: str) -> list[str]:
    return PARAM.findall(path)


def _routes(app) -> list[tuple[str, str, Any]]:
    """Every (method, path) the app serves, included routers flattened the way FastAPI's OpenAPI reads them."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            found.append(("*", context.path, context))
        else:
            found += [(method, context.path, context) for method in sorted(getattr(context, "methods", None) or {"*"})]
    return found


def _exempt_reason(method: str, path: str) -> str | None:
    reason = EXEMPT.get((method, path)) or EXEMPT.get(("*", path))
    if reason:
        return reason
    return next((why for prefix, why in EXEMPT_PREFIXES.items() if path.startswith(prefix)), None)


async def _readers(runtime) -> None:
    """Staff of every role who work for 翠湖苑 only."""
    async with transaction(runtime.sessions) as session:
        chy = await session.scalar(select(Community.id).where(Community.code == "CHY"))
        for username, role in (("sweep.manager", Role.MANAGER), ("sweep.tech", Role.TECHNICIAN),
                               ("sweep.guard", Role.SECURITY), ("sweep.finance", Role.FINANCE)):
            staff = StaffUser(username=username, display_name=username, role=role, skills="水电",
                              password_hash=hash_password("linli-demo-2026"))
            staff.assignments.append(StaffCommunity(community_id=chy))
            session.add(staff)


async def _records(runtime, tmp_path: Path) -> dict[str, Record]:
    """One record of 阳光花园 (YGHY) for every kind of path parameter."""
    d = await demo(runtime)
    escalation_id = await raise_escalation(runtime, question=f"{MARK}：楼上漏水")
    ticket = await open_ticket(runtime, d, description=f"{MARK}：水管爆了")
    media = Path(runtime.settings.media_dir)
    (media / "sweep").mkdir(parents=True, exist_ok=True)
    (media / "sweep" / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 64)
    async with transaction(runtime.sessions) as session:
        complaint = await complaints.open_complaint(
            session, community_id=d.community_id, openid="o-sweep", category="噪音",
            description=f"{MARK}：半夜装修", household_id=d.household_id, resident_id=d.resident_id)
        complaint.photos = ["sweep/b.jpg"]
        (await session.get(RepairTicket, ticket.id)).photos = ["sweep/b.jpg"]
        now = utcnow()
        rows = {
            "request_id": BindingRequest(openid="o-sweep", community_id=d.community_id, household_id=d.household_id,
                                         name=f"{MARK}申请人", phone="13900000001"),
            "announcement_id": Announcement(community_id=d.community_id, title=f"{MARK}停水通知", body="周三停水"),
            "activity_id": Activity(community_id=d.community_id, title=f"{MARK}包饺子", place="会所",
                                    starts_at=now + timedelta(days=3), signup_deadline=now + timedelta(days=2),
                                    capacity=10),
            "entry_id": FaqEntry(community_id=d.community_id, source="staff", question=f"{MARK}：快递放哪",
                                 answer="南门快递柜", content_hash="sweep"),
            "issue_id": PaymentIssue(community_id=d.community_id, kind="amount_mismatch", detail=MARK,
                                     dedup_key="sweep"),
        }
        session.add_all(rows.values())
        device = await session.scalar(select(Device).where(Device.community_id == d.community_id).limit(1))
        incident = AlarmIncident(number="BJ-20991231-0001", community_id=d.community_id, device_id=device.id,
                                 alarm="smoke", detail=MARK, first_at=now, last_at=now)
        session.add(incident)
        await session.flush()
        household = await session.get(Household, d.household_id)
        phone = await session.scalar(select(Resident.phone).where(Resident.household_id == household.id,
                                                                  Resident.phone != "").limit(1))
        fee_item = await session.scalar(select(FeeItem).where(FeeItem.community_id == d.community_id).limit(1))
        receipt = await session.scalar(select(Receipt).where(Receipt.community_id == d.community_id).limit(1))
        kefu = await session.scalar(select(StaffUser).where(StaffUser.username == "kefu"))
        guard = await session.scalar(select(StaffUser.id).where(StaffUser.username == "baoan"))
        shift = DutyShift(community_id=d.community_id, staff_id=guard, starts=time(8), ends=time(20),
                          label=MARK[:20])
        reward = Reward(community_id=d.community_id, name=f"{MARK}大米", cost_points=10, stock=1)
        session.add_all([shift, reward])
        await session.flush()
        redemption = Redemption(community_id=d.community_id, household_id=d.household_id, reward_id=reward.id,
                                reward_name=f"{MARK}大米", points=10, code="DH-SWEEP1")
        session.add(redemption)
        await session.flush()
        technician = await session.scalar(select(StaffUser.id).where(StaffUser.username == TECHNICIAN))
        records = {key: Record(type(row), row.id, row.id, MARK) for key, row in rows.items()}
    records |= {
        "escalation_id": Record(Escalation, escalation_id, escalation_id, MARK),
        "ticket_id": Record(RepairTicket, ticket.id, ticket.id, MARK),
        "complaint_id": Record(Complaint, complaint.id, complaint.id, MARK),
        "incident_id": Record(AlarmIncident, incident.id, incident.id, MARK),
        "household_id": Record(Household, household.id, household.id, phone),
        "device_id": Record(Device, device.id, device.id, None),
        "community_id": Record(Community, d.community_id, d.community_id, "阳光花园"),
        "item_id": Record(FeeItem, fee_item.id, fee_item.id, None),
        "number": Record(Receipt, receipt.number, receipt.id, receipt.number),
        "staff_id": Record(StaffUser, kefu.id, kefu.id, None),
        "shift_id": Record(DutyShift, shift.id, shift.id, None),
        "reward_id": Record(Reward, reward.id, reward.id, MARK),
        "redemption_id": Record(Redemption, redemption.id, redemption.id, "DH-SWEEP1"),
        TECHNICIAN: Record(StaffUser, technician, technician, None),
    }
    return records


async def _snapshot(runtime, record: Record) -> dict[str, Any]:
    async with runtime.sessions() as session:
        row = await session.get(record.model, record.where)
        return {c.key: getattr(row, c.key) for c in inspect(record.model).column_attrs}


async def _restore(runtime, record: Record, snapshot: dict[str, Any]) -> None:
    async with transaction(runtime.sessions) as session:
        if await session.get(record.model, record.where) is None:
            session.add(record.model(**snapshot))


async def _counts(runtime) -> tuple[int, int]:
    async with runtime.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(AuditEvent)),
                await session.scalar(select(func.count()).select_from(OutboxMessage)))


def _url(path: str, records: dict[str, Record]) -> str:
    url = path
    for name in _params(path):
        if name in records:
            value = records[name].key
        else:
            by_path = VALUE_PARAMS[name]
            value = by_path.get(path, by_path.get("*"))
            assert value is not None, f"{path}: add a value for {{{name}}} to VALUE_PARAMS"
        url = url.replace(f"{{{name}}}", str(value))
    return url


async def _send(client, method: str, path: str, url: str, *, csrf: str | None, technician_id: int = 0) -> Any:
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    if method == "GET":
        return await client.http.get(url)
    technician = {"technician_id": technician_id}
    if "/api/" in url:
        body = {**JSON_BY_PATH.get(path, JSON), **technician}
        return await client.http.request(method, url, json=body, headers=headers)
    data = {**FORM, **technician} if csrf is None else {**FORM, **technician, "csrf_token": csrf}
    return await client.http.request(method, url, data=data)


def classify(app) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(write routes, routes naming a record, other readable routes) under /admin; fails on anything unknown."""
    writes, scoped, lists, unknown = [], [], [], []
    for method, path, _route in _routes(app):
        if _exempt_reason(method, path):
            continue
        if not path.startswith("/admin/"):
            unknown.append(f"{method} {path}: outside /admin and not in EXEMPT")
            continue
        for name in _params(path):
            if name not in RECORD_PARAMS and name not in VALUE_PARAMS:
                unknown.append(f"{method} {path}: {{{name}}} is neither in RECORD_PARAMS nor in VALUE_PARAMS")
        if method in UNSAFE:
            writes.append((method, path))
        if any(name in RECORD_PARAMS for name in _params(path)):
            scoped.append((method, path))
        elif method == "GET":
            lists.append((method, path))
    assert not unknown, "routes the sweep does not cover:\n" + "\n".join(unknown)
    return writes, scoped, lists


RECORD_PARAMS = frozenset({"escalation_id", "ticket_id", "complaint_id", "household_id", "request_id",
                           "announcement_id", "activity_id", "entry_id", "incident_id", "device_id",
                           "community_id", "item_id", "issue_id", "number", "staff_id", "shift_id", "reward_id",
                           "redemption_id"})


async def test_every_write_route_refuses_a_missing_or_wrong_csrf_token(runtime):
    async with staff_client(runtime, "admin") as admin:
        writes, _, _ = classify(admin.http._transport.app)
        assert len(writes) > 50, writes  # the route table was read (every section has write routes)
        await admin.page("/admin/me")
        before = await _counts(runtime)
        accepted = []
        for method, path in writes:
            url = _url(path, {name: Record(object, 1, 1) for name in RECORD_PARAMS})
            for token in (None, "not-the-session-token"):
                response = await _send(admin, method, path, url, csrf=token)
                if response.status_code != 403 or m.CSRF_FAILED not in response.text:
                    accepted.append(f"{method} {url} token={token!r}: {response.status_code}")
        assert not accepted, "write routes without the CSRF check:\n" + "\n".join(accepted)
        assert await _counts(runtime) == before  # no audit row, no message: nothing happened


async def test_staff_of_one_community_reach_nothing_of_another_through_any_route(runtime, tmp_path):
    await _readers(runtime)
    records = await _records(runtime, tmp_path)
    technician = records.pop(TECHNICIAN).key
    app_routes = None
    leaks: list[str] = []
    for username in READERS:
        async with staff_client(runtime, username) as reader:
            await reader.page("/admin/me")
            writes, scoped, lists = classify(reader.http._transport.app)
            app_routes = scoped
            for method, path in scoped:
                url = _url(path, records)
                touched = [records[n] for n in _params(path) if n in records]
                before = ([await _snapshot(runtime, r) for r in touched], await _counts(runtime))
                response = await _send(reader, method, path, url, csrf=reader.csrf,
                                       technician_id=technician)
                after = ([await _snapshot(runtime, r) for r in touched], await _counts(runtime))
                shown = [r.marker for r in touched if r.marker and r.marker in response.text]
                if response.status_code not in (403, 404) or shown or after != before:
                    leaks.append(f"{username} {method} {url}: {response.status_code}"
                                 f"{' shows ' + str(shown) if shown else ''}"
                                 f"{' changed rows' if after != before else ''}")
            for method, path in lists:
                response = await _send(reader, method, path, _url(path, records), csrf=None)
                shown = {r.marker for r in records.values() if r.marker and r.marker in response.text}
                if shown:
                    leaks.append(f"{username} {method} {path}: shows {sorted(shown)}")
    assert not leaks, "another community's records reached:\n" + "\n".join(leaks)
    assert app_routes and len(app_routes) > 30, app_routes

    # The same URLs lead an admin to the records: the refusals above came from the scope, not from a bad URL.
    unreached = []
    async with staff_client(runtime, "admin") as admin:
        await admin.page("/admin/me")
        ordered = sorted(app_routes, key=lambda mp: (mp[0] != "GET", mp[0] == "DELETE" or "delete" in mp[1]))
        originals = {name: await _snapshot(runtime, record) for name, record in records.items()}
        for method, path in ordered:
            for name in _params(path):  # a delete route's control removes the row: put it back for the next one
                if name in records:
                    await _restore(runtime, records[name], originals[name])
            response = await _send(admin, method, path, _url(path, records), csrf=admin.csrf,
                                   technician_id=technician)
            if response.status_code in (403, 404) or response.status_code >= 500:
                unreached.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
    assert not unreached, "the sweep's URLs do not lead to the record even for an admin:\n" + "\n".join(unreached)
