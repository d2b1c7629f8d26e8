"""Two server processes on PostgreSQL + Redis, each with its own Chroma folder: an FAQ edit made in the table (by the
service the back office calls) reaches the other process's index within 5 seconds (GET /healthz/knowledge: count
and checksum of the index against the table's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from knowledge.entries import fingerprint
from linli.localhost import free_port, wait_for_health
from tests.services import test_settings
from workflows.db import transaction
from workflows.faq.service import create_entry, entry_versions, update_entry
from workflows.runtime import Runtime

LINLI = Path(sys.executable).with_name("linli")
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]


def env(settings, chroma: Path) -> dict[str, str]:
    return {**os.environ, "LINLI_DATABASE_URL": settings.database_url, "LINLI_REDIS_URL": settings.redis_url,
            "LINLI_REDIS_PREFIX": settings.redis_prefix, "LINLI_CHROMA_PATH": str(chroma),
            "LINLI_MEDIA_DIR": settings.media_dir, "LINLI_SECRET_KEY": "two-processes",
            "LINLI_RUN_WORKERS_IN_PROCESS": "false", "LINLI_WECHAT_API_BASE": "http://127.0.0.1:9"}


def in_database(settings, work):
    """Run `work(session)` in one transaction of its own (this test is synchronous: the servers are processes)."""
    async def run():
        runtime = Runtime.from_settings(settings)
        try:
            async with transaction(runtime.sessions) as session:
                return await work(session)
        finally:
            await runtime.close()

    return asyncio.run(run())


def table_checksum(settings) -> str:
    async def checksum(session):
        return fingerprint(await entry_versions(session))

    return in_database(settings, checksum)


def knowledge_status(base: str) -> dict:
    return httpx.get(base + "/healthz/knowledge", timeout=5).json()


def wait_until(condition, timeout_s: float) -> float:
    """Seconds until condition() held (or the timeout passed)."""
    started = time.monotonic()
    while not condition() and time.monotonic() - started < timeout_s:
        time.sleep(0.1)
    return time.monotonic() - started


def test_an_edit_reaches_a_second_server_process_within_five_seconds(tmp_path, pg_url, redis_url, redis_prefix):
    settings = test_settings(tmp_path, database_url=pg_url, redis_url=redis_url, redis_prefix=redis_prefix)
    entry_id = in_database(settings, lambda session: _add_fee_entry(session))
    # One Chroma folder prepared like `linli demo` leaves it (with the labelled sentences' vectors), one copy per
    # server, so neither spends its start-up embedding them.
    template = tmp_path / "chroma-template"
    done = subprocess.run([str(LINLI), "kb", "reindex"], env=env(settings, template), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    processes, bases = [], []
    try:
        for name in ("a", "b"):
            shutil.copytree(template, tmp_path / f"chroma-{name}")
            port = free_port()
            log = (tmp_path / f"server-{name}.log").open("w")
            processes.append(subprocess.Popen([str(LINLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                              env=env(settings, tmp_path / f"chroma-{name}"), stdout=log,
                                              stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            assert wait_for_health(base, process, timeout_s=300), (tmp_path / "server-a.log").read_text()[-2000:]
        before = table_checksum(settings)
        wait_until(lambda: all(knowledge_status(b).get("index_checksum") == before for b in bases), 30)
        assert all(knowledge_status(b)["status"] == "ok" for b in bases)

        in_database(settings, lambda session: update_entry(session, entry_id=entry_id, question="物业费怎么交？",
                                                           answer="在邻里公众号里交。", staff_id=1))
        after = table_checksum(settings)
        assert after != before
        took = wait_until(lambda: knowledge_status(bases[1]).get("index_checksum") == after, 5)
        status = knowledge_status(bases[1])
        assert status["status"] == "ok" and status["index_checksum"] == after, status
        assert took < 5
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _add_fee_entry(session) -> int:
    entry = await create_entry(session, community_id=1, question="物业费怎么交？", answer="到物业服务中心前台交。",
                               staff_id=1)
    return entry.id
