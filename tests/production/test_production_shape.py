"""The production shape on this machine, as docs/operations.md starts it: two `linli serve` on different ports and two
`linli worker`, over PostgreSQL (a database of the test's own, dropped after) and Redis (a key prefix of its own),
with WeChat's API as a local fake server.

Owners' encrypted, signed messages are spread over both web processes; WeChat's retries of the same MsgId go to the
other process at the same moment; staff answer from the back office. Each reply reaches WeChat once, no ticket is
doubled, and the outbox is drained once."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from linli.localhost import free_port, wait_for_health
from tests.bot.wechat.wire import TEST_AES_KEY, TEST_APPID, TEST_TOKEN, decrypt_reply, encrypted_request, inner_xml
from tests.fakes.wechat_api import FakeWeChatApi
from tests.services import LINLI, linli_env, test_settings
from workflows.demo import DEMO_PASSWORD
from workflows.escalations.models import Escalation
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.repairs.models import RepairTicket
from workflows.runtime import Runtime

OWNERS = [f"oProdOwner{n:02d}" for n in range(4)]
BIND = ("绑定房屋", "1", "1", "1单元101", "张伟", "1234")
REPAIR = ("报修", "1", "1", "厨房水龙头一直滴水", "跳过", "随时")  # the bound owner's phone is known: not asked
START_S = 240  # the two web processes warm the FAQ assistant at once (workers do not); a busy two-core machine is slow


@dataclass
class Production:
    web: list[str]  # base URLs of the two web processes
    fake: FakeWeChatApi
    runtime: Runtime
    logs: list[Path]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_line(log: Path, process: subprocess.Popen, text: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def production(pg_url, redis_url, redis_prefix, chroma_template, tmp_path) -> Iterator[Production]:
    fake = FakeWeChatApi(appid=TEST_APPID).start()
    settings = test_settings(tmp_path, database_url=pg_url, redis_url=redis_url, redis_prefix=redis_prefix)
    shutil.copytree(chroma_template, settings.chroma_path)
    env = linli_env(settings) | {
        "LINLI_REDIS_URL": redis_url, "LINLI_REDIS_PREFIX": redis_prefix, "LINLI_SECRET_KEY": "production-test",
        "LINLI_WECHAT_TOKEN": TEST_TOKEN, "LINLI_WECHAT_AES_KEY": TEST_AES_KEY, "LINLI_WECHAT_APPID": TEST_APPID,
        "LINLI_WECHAT_APP_SECRET": fake.secret, "LINLI_WECHAT_API_BASE": fake.base_url,
        "LINLI_RUN_WORKERS_IN_PROCESS": "false", "LINLI_EMBED_THREADS": "1"}
    ports = [free_port(), free_port()]
    commands = [["serve", "--host", "127.0.0.1", "--port", str(port)] for port in ports] + [["worker"], ["worker"]]
    logs = [tmp_path / f"{n}-{command[0]}.log" for n, command in enumerate(commands)]
    processes = []
    for command, log in zip(commands, logs, strict=True):
        with log.open("w") as out:
            processes.append(subprocess.Popen([str(LINLI), *command], env=env, stdout=out, stderr=subprocess.STDOUT))
    runtime = Runtime.from_settings(settings)
    try:
        web = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process, log in zip(web, processes, logs, strict=False):
            assert wait_for_health(base, process, timeout_s=START_S), log.read_text()[-3000:]
        for process, log in zip(processes[2:], logs[2:], strict=True):
            assert _wait_for_line(log, process, "worker running", START_S), log.read_text()[-3000:]
        yield Production(web=web, fake=fake, runtime=runtime, logs=logs)
    finally:
        _stop(processes)
        fake.stop()  # the runtime is closed by the test, in its own event loop


async def say(client: httpx.AsyncClient, base: str, openid: str, text: str, *, request: tuple | None = None) -> str:
    """One message as WeChat delivers it (safe mode); returns the decrypted reply text ('' for "success")."""
    params, body = request or encrypted_request(inner_xml(openid, content=text))
    response = await client.post(f"{base}/wechat", params=params, content=body,
                                 headers={"Content-Type": "text/xml"})
    assert response.status_code == 200, response.text
    if response.text in ("", "success"):
        return ""
    found = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", decrypt_reply(response.text), re.S)
    return found.group(1) if found else ""


async def owner_session(client: httpx.AsyncClient, web: list[str], openid: str, offset: int) -> list[str]:
    """Bind, report a leak (the submit retried at once on the other process), ask for a person; messages alternate
    between the two web processes."""
    replies = []
    for n, text in enumerate(BIND + REPAIR):
        replies.append(await say(client, web[(n + offset) % 2], openid, text))
    submit = encrypted_request(inner_xml(openid, content="1"))  # the confirmation: WeChat retries it
    replies.extend(await asyncio.gather(*(say(client, base, openid, "1", request=submit) for base in web)))
    replies.append(await say(client, web[offset % 2], openid, "1", request=submit))  # a third delivery, later
    replies.append(await say(client, web[(offset + 1) % 2], openid, "转人工"))
    return replies


async def staff_answer(client: httpx.AsyncClient, web: list[str], escalation_ids: list[int]) -> None:
    """The front desk logs in on one web process and answers on the other (the session cookie is shared)."""
    page = await client.get(f"{web[0]}/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    login = await client.post(f"{web[0]}/admin/login", data={"username": "kefu", "password": DEMO_PASSWORD,
                                                              "csrf_token": csrf})
    assert login.status_code == 303
    me = await client.get(f"{web[1]}/admin/me")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', me.text).group(1)
    for n, escalation_id in enumerate(escalation_ids):
        response = await client.post(f"{web[n % 2]}/admin/api/escalations/{escalation_id}/reply",
                                     json={"body": f"您好，第 {escalation_id} 号问题已安排师傅上门。"},
                                     headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text


async def wait_until(check, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.3)
    return await check()


@pytest.mark.timeout(START_S * 2 + 120)
async def test_two_web_processes_and_two_workers_deliver_each_reply_once(production: Production) -> None:
    runtime = production.runtime
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            conversations = await asyncio.gather(*(owner_session(client, production.web, openid, n)
                                                   for n, openid in enumerate(OWNERS)))
            async with runtime.sessions() as session:
                escalations = list(await session.scalars(select(Escalation.id).where(
                    Escalation.openid.in_(OWNERS)).order_by(Escalation.id)))
            async with httpx.AsyncClient(timeout=30) as staff:
                await staff_answer(staff, production.web, escalations)

        for openid, replies in zip(OWNERS, conversations, strict=True):
            assert "绑定成功" in replies[len(BIND) - 1], (openid, replies)
            submitted = [r for r in replies[len(BIND) + len(REPAIR):-1] if "已提交报修" in r]
            assert submitted, (openid, replies)  # the retries got the same answer, or "success" while it ran
            assert len({re.search(r"BX-[\d-]+", r).group() for r in submitted}) == 1
        async with runtime.sessions() as session:
            per_owner = dict((await session.execute(select(RepairTicket.openid, func.count())
                                                    .group_by(RepairTicket.openid))).all())
        assert per_owner == dict.fromkeys(OWNERS, 1)  # no ticket doubled
        assert len(escalations) == len(OWNERS)

        async def drained() -> bool:
            async with runtime.sessions() as session:
                waiting = await session.scalar(select(func.count()).where(
                    OutboxMessage.kind.in_(("wechat.text", "wechat.template")),
                    OutboxMessage.status != OutboxStatus.SENT))
            return waiting == 0 and len(production.fake.custom_sends) >= len(escalations)

        assert await wait_until(drained, 30), [log.read_text()[-1500:] for log in production.logs[2:]]
        await asyncio.sleep(2.5)  # two more rounds of both workers' delivery loops: nothing may go out again
        async with runtime.sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind.in_(("wechat.text", "wechat.template")))))
        sends = [(s["touser"], s["text"]["content"]) for s in production.fake.custom_sends]
        assert all(row.status == OutboxStatus.SENT and row.attempts == 1 for row in rows)
        assert len(sends) == len(rows) and Counter(sends).most_common(1)[0][1] == 1  # each row sent once
        for escalation_id in escalations:  # each staff answer reached its owner exactly once
            assert sum(f"第 {escalation_id} 号问题" in text for openid, text in sends if openid in OWNERS) == 1
    finally:
        await runtime.close()
