"""The message-log writer's database cost (bot/transcript.py), CPU per entry on PostgreSQL: the path it used until
issue 21's last step (a session's transaction around an executemany INSERT, 100 entries a batch) against the one it
uses now (workflows.messages.service.write_log_batch: one COPY on a pooled connection, 500 a batch), interleaved in
one process so other load on the machine falls on all alike.

    .venv/bin/python benchmarks/message_log.py [--rounds 5] [--entries 4000]

Creates a database for the run (LINLI_BENCH_PG_ADMIN, default postgres@127.0.0.1:5432) and drops it after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workflows.clock import utcnow  # noqa: E402
from workflows.db import transaction  # noqa: E402
from workflows.messages.service import record_messages, write_log_batch  # noqa: E402

PG_ADMIN = os.environ.get("LINLI_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("LINLI_BENCH_PG_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432/")


def entry(n: int) -> dict:
    """What TranscriptWriter.append queues: an owner's message, or the bot's reply."""
    inbound = n % 2 == 1
    return {"openid": f"o{n:05d}bench", "direction": "in" if inbound else "out",
            "content": "绑定房屋" if inbound else "请选择小区：\n1. 阳光花园\n2. 翠湖苑", "msg_type": "text",
            "community_id": None, "wechat_msg_id": str(n) if inbound else None, "channel": "wechat",
            "created_at": utcnow()}


async def in_transactions(runtime, entries: list[dict], batch: int) -> None:
    for start in range(0, len(entries), batch):
        async with transaction(runtime.sessions) as session:
            await record_messages(session, entries=entries[start:start + batch])


async def copied(runtime, entries: list[dict], batch: int) -> None:
    for start in range(0, len(entries), batch):
        async with runtime.engine.connect() as connection:
            await write_log_batch(connection, entries=entries[start:start + batch])


async def main(url: str, rounds: int, count: int) -> None:
    from workflows.runtime import Runtime
    from workflows.settings import Settings

    runtime = Runtime.from_settings(Settings(_env_file=None, database_url=url, redis_url=""))
    entries = [entry(n) for n in range(count)]
    variants = {"executemany, 100 a batch (before)": (in_transactions, 100), "COPY, 100 a batch": (copied, 100),
                "COPY, 500 a batch (now)": (copied, 500)}
    figures: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for _ in range(rounds):
            for name, (write, batch) in variants.items():
                started = time.process_time()
                await write(runtime, entries, batch)
                figures[name].append((time.process_time() - started) / count * 1e6)
    finally:
        await runtime.close()
    print(f"\nmessage log, {rounds} interleaved rounds of {count} entries, this process's CPU per entry")
    baseline = statistics.median(next(iter(figures.values())))
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:36s} median {median:6.1f} us   min {min(values):6.1f} us   {median / baseline:5.2f}x")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--entries", type=int, default=4000)
    args = parser.parse_args()
    import psycopg
    import uvloop

    from workflows.migrate import upgrade

    name = f"linli_bench_log_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(PG_BASE + name)
        uvloop.run(main(PG_BASE + name, args.rounds, args.entries))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
