"""Devices and visitor passes, measured on this machine:

    .venv/bin/python benchmarks/devices.py [--passes 2000] [--round-trips 300] [--readings 5000] [--sqlite]

1. pass validation: admit_at_gate (signature, lookup, window, uses, the entry row, one transaction each) p50/p99,
   next to the bare HMAC check of the same tokens (the baseline);
2. gate-open round trip through the broker: send_command → gateway → Mosquitto → simulated gate → ack → row acked,
   p50/p99, next to a bare MQTT publish → ack round trip between two clients (no database) in the same run;
3. meter readings ingested per second into PostgreSQL (the default; --sqlite for the embedded default): readings
   published by 4 meters as fast as the broker takes them, until all are stored (the gateway writes them in
   batches), next to a bare subscriber that only
   counts the same stream.

Needs Mosquitto on 127.0.0.1:1883 and PostgreSQL on 127.0.0.1:5432 (a database of its own, dropped at the end); all
traffic stays on 127.0.0.1 under a topic root of its own. Gateway, simulator and clients share this one process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiomqtt  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from devices import commands  # noqa: E402
from devices.gateway import DeviceGateway  # noqa: E402
from devices.simulator import Simulator, VirtualDevice  # noqa: E402
from workflows.clock import utcnow  # noqa: E402
from workflows.db import transaction  # noqa: E402
from workflows.demo import seed_demo  # noqa: E402
from workflows.devices import service as devices  # noqa: E402
from workflows.devices.models import Device, DeviceKind, MeterReading  # noqa: E402
from workflows.migrate import upgrade  # noqa: E402
from workflows.runtime import Runtime  # noqa: E402
from workflows.settings import Settings  # noqa: E402
from workflows.visitors import service as visitors  # noqa: E402
from workflows.visitors import tokens  # noqa: E402

BROKER = os.environ.get("LINLI_BENCH_MQTT", "mqtt://127.0.0.1:1883")  # another local broker to compare
PORT = int(BROKER.rsplit(":", 1)[1])
PG_ADMIN = os.environ.get("LINLI_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("LINLI_BENCH_PG_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432/")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"  {label:<52} n={len(ms):>5}  p50 {pct(ms, .5):8.3f} ms  p99 {pct(ms, .99):8.3f} ms  max {max(ms):8.3f} ms"


async def bench_passes(runtime: Runtime, count: int) -> None:
    key = tokens.pass_key(secret_key=runtime.settings.secret_key)
    async with transaction(runtime.sessions) as session:
        gate = await session.scalar(select(Device).where(Device.code == "gate-south-in"))
        home_id = (await session.execute(select(Device.community_id))).first()[0]
        from workflows.community.models import Household

        household = await session.scalar(select(Household.id).where(Household.community_id == home_id).limit(1))
        start = utcnow() - timedelta(minutes=1)
        issued = [await visitors.issue_visitor_pass(
            session, key=key, community_id=gate.community_id, household_id=household, openid=f"bench-{i}",
            visitor_name="访客", valid_from=start, valid_until=start + timedelta(days=1), max_uses=None)
            for i in range(count)]
    presented = [i.token for i in issued]
    bare: list[float] = []
    for token in presented:
        t0 = time.perf_counter()
        tokens.verify(key, token)
        bare.append(time.perf_counter() - t0)
    full: list[float] = []
    for token in presented:
        t0 = time.perf_counter()
        async with transaction(runtime.sessions) as session:
            decision = await visitors.admit_at_gate(session, key=key, community_id=gate.community_id,
                                                    presented=token, method="qr", device_id=gate.id)
        full.append(time.perf_counter() - t0)
        assert decision.admitted, decision.reason
    print("1. pass validation")
    print(row("baseline: HMAC verify of the token alone", bare))
    print(row("admit_at_gate (lookup, checks, entry row, commit)", full))


async def bench_round_trip(runtime: Runtime, root: str, count: int) -> None:
    stop = asyncio.Event()
    sim = Simulator(url=BROKER, root=root, devices=[VirtualDevice("YGHY", "gate-south-in", "gate", "door")],
                    meter_interval_s=0)
    tasks = [asyncio.create_task(sim.run(stop))]
    await sim.ready()
    async with runtime.sessions() as session:
        gate_id = await session.scalar(select(Device.id).where(Device.code == "gate-south-in"))
    bare: list[float] = []
    async with aiomqtt.Client("127.0.0.1", PORT) as client:
        await client.subscribe(f"{root}/YGHY/gate-south-in/ack/+", qos=1)
        messages = client.messages
        for _ in range(count):
            command_id = secrets.token_hex(16)
            now = utcnow()
            payload = json.dumps({"id": command_id, "action": "open", "params": {}, "issued_at": now.isoformat(),
                                  "expires_at": (now + timedelta(seconds=10)).isoformat()}).encode()
            t0 = time.perf_counter()
            await client.publish(f"{root}/YGHY/gate-south-in/cmd/{command_id}", payload, qos=1)
            async for message in messages:
                if message.topic.value.endswith(command_id):
                    break
            bare.append(time.perf_counter() - t0)
    gateway = DeviceGateway(runtime=runtime, url=BROKER, root=root)  # started after the baseline: its acks are ours
    tasks.append(asyncio.create_task(gateway.run(stop)))
    await asyncio.wait_for(gateway.connected.wait(), 10)
    full: list[float] = []
    for _ in range(count):
        t0 = time.perf_counter()
        outcome = await commands.send_command(runtime, device_id=gate_id, action="open", requested_by="bench",
                                              timeout_s=5, wake=gateway.wake)
        full.append(time.perf_counter() - t0)
        assert outcome.ok, outcome
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("2. gate-open round trip through Mosquitto (simulated gate acknowledges)")
    print(row("baseline: bare MQTT cmd → ack between two clients", bare))
    print(row("send_command → gateway → gate → ack → row acked", full))


async def _publish_readings(root: str, meters: list[str], count: int) -> float:
    """Publish `count` readings round-robin over the meters; returns when the broker took them all."""
    per_meter = count // len(meters)
    base = utcnow().replace(microsecond=0) - timedelta(days=30)

    async def one(code: str) -> None:
        async with aiomqtt.Client("127.0.0.1", PORT, max_inflight_messages=200) as client:
            for i in range(per_meter):
                event = {"type": "reading", "id": f"{code}-{i}", "at": (base + timedelta(seconds=i)).isoformat(),
                         "data": {"value": str(Decimal(i) / 8), "unit": "m3"}}
                await client.publish(f"{root}/YGHY/{code}/event", json.dumps(event).encode(), qos=1)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(code) for code in meters))
    return time.perf_counter() - t0


async def bench_readings(runtime: Runtime, root: str, count: int) -> None:
    async with transaction(runtime.sessions) as session:
        community_id = await session.scalar(select(Device.community_id).where(Device.code == "gate-south-in"))
        meters = []
        for n in range(4):
            meter = await devices.register_device(session, community_id=community_id, code=f"bench-meter-{n}",
                                                  kind=DeviceKind.METER, subtype="water", name=f"bench {n}")
            meters.append(meter.code)
    count = count // len(meters) * len(meters)
    # Baseline: a subscriber that only counts the same stream.
    received = 0
    async with aiomqtt.Client("127.0.0.1", PORT) as counter:
        await counter.subscribe(f"{root}-bare/YGHY/+/event", qos=1)
        publisher = asyncio.create_task(_publish_readings(f"{root}-bare", meters, count))
        t0 = time.perf_counter()
        async for _ in counter.messages:
            received += 1
            if received == count:
                break
        bare_s = time.perf_counter() - t0
        await publisher
    stop = asyncio.Event()
    gateway = DeviceGateway(runtime=runtime, url=BROKER, root=root)
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.connected.wait(), 10)
    t0 = time.perf_counter()
    await _publish_readings(root, meters, count)
    while True:
        async with runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(MeterReading))
        if stored >= count or time.perf_counter() - t0 > 600:
            break
        await asyncio.sleep(0.2)
    stored_s = time.perf_counter() - t0
    stop.set()
    await task
    print(f"3. meter readings ({count} from {len(meters)} meters, QoS 1)")
    print(f"  {'baseline: bare subscriber counting the stream':<52} {count / bare_s:10.0f} readings/s")
    target = "SQLite" if runtime.settings.is_sqlite else "PostgreSQL"
    print(f"  {'gateway → ' + target + ' (batched writes)':<52} {stored / stored_s:10.0f} readings/s"
          f"  ({stored} stored in {stored_s:.1f} s, from the first publish)")


async def main_async(args: argparse.Namespace, database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, redis_url="", secret_key="bench",
                        mqtt_url=BROKER)
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session)
        root = f"linli-bench-{secrets.token_hex(4)}"
        async with transaction(runtime.sessions) as session:
            await devices.gateway_heartbeat(session, name="bench", connected=True, broker=BROKER)
        await bench_passes(runtime, args.passes)
        await bench_round_trip(runtime, root, args.round_trips)
        await bench_readings(runtime, root, args.readings)
    finally:
        await runtime.close()


def main() -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=2000)
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--readings", type=int, default=5000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default instead of PostgreSQL")
    args = parser.parse_args()
    print(f"benchmarks/devices.py on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        name = ""
        if args.sqlite:
            database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'linli.db'}"
        else:
            import psycopg

            name = f"linli_bench_devices_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            database_url = PG_BASE + name
        try:
            upgrade(database_url)
            print(f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}; broker: Mosquitto {BROKER}")
            asyncio.run(main_async(args, database_url))
        finally:
            if name:
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
