"""Finding 4: login tells nothing about which usernames exist, a stranger cannot lock a staff member out of their
own browser, successful logins do not use up the per-address limit, and X-Forwarded-For is believed only from the
configured proxies."""

from __future__ import annotations

import re
import statistics
import time
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import select

from linli.app import create_app
from tests.backoffice.helpers import StaffClient, staff_client
from tests.services import copy_sqlite, test_settings
from workflows.audit.models import AuditEvent
from workflows.runtime import Runtime

ERROR = re.compile(r'id="login-error">([^<]*)<')


@asynccontextmanager
async def client_from(runtime: Runtime, host: str, headers: dict | None = None):
    app = create_app(runtime=runtime, start_loops=False)
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers or {}) as http:
        yield StaffClient(http)


async def _answer(client: StaffClient, username: str, password: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    response = await client.login(username, password)
    elapsed = time.perf_counter() - started
    found = ERROR.search(response.text)
    return response.status_code, found.group(1) if found else "", elapsed


async def test_unknown_wrong_and_locked_get_the_same_answer_in_similar_time(runtime):
    async with staff_client(runtime) as client:
        for _ in range(5):
            await client.login("kefu", "wrong-password")  # this browser is now locked out of kefu
        answers: dict[str, list[tuple[int, str, float]]] = {"unknown": [], "wrong": [], "locked": []}
        for _ in range(3):
            answers["unknown"].append(await _answer(client, "nobody.here", "some-password"))
            answers["wrong"].append(await _answer(client, "manager", "wrong-password"))
            answers["locked"].append(await _answer(client, "kefu", "linli-demo-2026"))  # even the right password
    shown = {(status, text) for rows in answers.values() for status, text, _ in rows}
    assert len(shown) == 1, shown
    medians = {kind: statistics.median(t for _, _, t in rows) for kind, rows in answers.items()}
    assert min(medians.values()) > 0.4 * max(medians.values()), medians  # was 4 ms locked against ~100 ms


async def test_a_stranger_cannot_lock_a_staff_member_out_of_their_own_browser(runtime):
    async with staff_client(runtime) as own:
        await own.page("/admin/login")  # the manager's usual browser
        async with client_from(runtime, "203.0.113.7") as stranger:
            for _ in range(8):
                assert (await stranger.login("manager", "guess-123456")).status_code == 400
            assert (await stranger.login("manager")).status_code == 400  # locked out: the stranger's browser only
        assert (await own.login("manager")).status_code == 303


async def test_successful_logins_do_not_count_against_the_per_address_limit(runtime, monkeypatch):
    from workflows.staff import service

    monkeypatch.setattr(service, "MAX_ATTEMPTS_PER_IP", 3, raising=False)
    monkeypatch.setattr(service, "MAX_FAILURES_PER_IP", 3, raising=False)
    async with staff_client(runtime) as office:
        statuses = [(await office.login("manager")).status_code for _ in range(5)]
    assert statuses == [303] * 5


async def _login_ip(runtime: Runtime, forwarded: str) -> str:
    async with client_from(runtime, "127.0.0.1", headers={"X-Forwarded-For": forwarded}) as client:
        assert (await client.login("kefu")).status_code == 303
    async with runtime.sessions() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "login")
                                     .order_by(AuditEvent.id.desc()))
    return event.data["ip"]


async def test_x_forwarded_for_is_believed_only_from_trusted_proxies(runtime, tmp_path, sqlite_template):
    assert await _login_ip(runtime, "198.51.100.4") == "127.0.0.1"
    settings = test_settings(tmp_path / "proxied", database_url=copy_sqlite(sqlite_template, tmp_path),
                             trusted_proxies="127.0.0.1,10.0.0.0/8")
    proxied = Runtime.from_settings(settings)
    try:
        assert await _login_ip(proxied, "198.51.100.4") == "198.51.100.4"
        assert await _login_ip(proxied, "192.0.2.1, 198.51.100.9, 10.1.2.3") == "198.51.100.9"
    finally:
        await proxied.close()
