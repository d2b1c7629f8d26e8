"""Back-office benchmark: staff pages with a busy inbox, against /healthz of the same server as the baseline.

    .venv/bin/python benchmarks/backoffice.py [--escalations 2000] [--requests 60]

What it does (everything on 127.0.0.1; the server is a subprocess so the client does not steal its core):
1. a temp SQLite database, migrated and seeded with the demo community, plus `--escalations` escalations spread over
   the last 14 days (a third answered), so the inbox, the badge and the dashboard have real work;
2. `linli serve` on a free port (embedded defaults, background loops off);
3. logs in as the demo manager (one argon2 verification: timed separately), then requests each page `--requests`
   times in sequence: /healthz (baseline: database ping), the badge the nav polls every 5 s, the inbox (200 rows),
   an escalation detail, the dashboard (5 SVG charts), and the inbox as xlsx;
4. prints p50 / p95 / max per page and the ratio of each p50 to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from linli.localhost import free_port, wait_for_health  # noqa: E402
from workflows.clock import utcnow  # noqa: E402
from workflows.community.models import Community  # noqa: E402
from workflows.db import transaction  # noqa: E402
from workflows.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from workflows.escalations.models import Escalation, EscalationReason, EscalationStatus  # noqa: E402
from workflows.migrate import upgrade  # noqa: E402
from workflows.runtime import Runtime  # noqa: E402
from workflows.settings import Settings  # noqa: E402

LINLI = Path(sys.executable).with_name("linli")


async def prepare(settings: Settings, count: int) -> None:
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
        async with transaction(runtime.sessions) as session:
            community_id = await session.scalar(select(Community.id).where(Community.code == "YGHY"))
            now = utcnow()
            for n in range(count):
                created = now - timedelta(minutes=n * 14 * 24 * 60 // max(count, 1))
                answered = n % 3 == 0
                session.add(Escalation(
                    number=f"RG-BENCH-{n:05d}", community_id=community_id, openid=f"bench-owner-{n % 300}",
                    reason=EscalationReason.LOW_CONFIDENCE, question=f"第 {n} 个问题：快递放在哪里？",
                    status=EscalationStatus.CLAIMED if answered else EscalationStatus.OPEN, created_at=created,
                    first_response_at=created + timedelta(minutes=5 + n % 20) if answered else None,
                    last_owner_message_at=created))
    finally:
        await runtime.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--escalations", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_MEDIA_DIR": f"{folder}/media",
               "LINLI_CHROMA_PATH": f"{folder}/chroma", "LINLI_REDIS_URL": "", "LINLI_RUN_WORKERS_IN_PROCESS": "false",
               "LINLI_SECRET_KEY": "bench"}
        settings = Settings(_env_file=None, database_url=url, media_dir=f"{folder}/media",
                            chroma_path=f"{folder}/chroma")
        upgrade(url)
        asyncio.run(prepare(settings, args.escalations))
        port = free_port()
        server = subprocess.Popen([str(LINLI), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            if not wait_for_health(base, server, timeout_s=60):
                raise SystemExit("server did not start")
            run(base, args)
        finally:
            server.terminate()
            server.wait(timeout=10)


def run(base: str, args: argparse.Namespace) -> None:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        login_page = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        started = time.perf_counter()
        response = client.post("/admin/login", data={"username": "manager", "password": DEMO_PASSWORD,
                                                     "csrf_token": token})
        login_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 303, response.text
        inbox = client.get("/admin/escalations").text
        detail = re.search(r'href="(/admin/escalations/\d+)"', inbox).group(1)
        pages = [("/healthz (baseline)", "/healthz"), ("badge", "/admin/escalations/badge"),
                 ("inbox, 200 rows", "/admin/escalations"), ("escalation detail", detail),
                 ("dashboard", "/admin/dashboard"), ("inbox as xlsx", "/admin/escalations?format=xlsx")]
        results: dict[str, list[float]] = {}
        for name, path in pages:
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                got = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                assert got.status_code == 200, (path, got.status_code)
            results[name] = timings
    baseline = statistics.median(results["/healthz (baseline)"])
    print(f"back office with {args.escalations} escalations, {args.requests} sequential requests per page")
    print(f"login (one argon2id verification): {login_ms:.0f} ms")
    print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p50 / baseline':>16}")
    for name, timings in results.items():
        p50 = statistics.median(timings)
        print(f"{name:<22}{p50:>9.1f}{percentile(timings, 0.95):>9.1f}{max(timings):>9.1f}{p50 / baseline:>16.1f}")


if __name__ == "__main__":
    main()
