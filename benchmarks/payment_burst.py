"""The month-end burst: 10,000 WeChat Pay v3 payment notifications at 50 concurrent over loopback against the real
notification endpoint (/pay/notify/wechatpay: signature over the raw body by serial, timestamp window, AES-GCM
decryption, stored-once ids, settling under a row lock) served by uvicorn in a process of its own on PostgreSQL.

10 % of the deliveries repeat an earlier notification (WeChat Pay retries), 1 % are forged (signed by another
key). The notifications are made by tests/fakes/wechatpay_server.py's signer: real RSA-2048 signatures and
AES-256-GCM resources. Checked afterwards: every order paid once, no bill credited twice, one ledger row per bill,
every forged delivery refused. Baseline in the same run: /healthz over the same client, same concurrency.

    .venv/bin/python benchmarks/payment_burst.py [--notifications 10000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from linli.localhost import free_port, wait_for_health  # noqa: E402
from tests.fakes.wechatpay_server import FakeWechatPay, new_rsa_key, private_pem, public_pem  # noqa: E402
from workflows.migrate import upgrade  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def serve(args: argparse.Namespace) -> None:
    """The server process: the /pay routes with the WeChat Pay provider, nothing else (no FAQ model to load)."""
    import uvicorn
    from fastapi import FastAPI

    from bot.pay.routes import pay_router
    from workflows.payments.providers.wechatpay import WechatPayProvider
    from workflows.runtime import Runtime
    from workflows.settings import Settings

    runtime = Runtime.from_settings(Settings(_env_file=None, database_url=args.db, redis_url=""))
    folder = Path(args.keys)
    provider = WechatPayProvider(mchid=args.mchid, appid=args.appid, cert_serial_no="BENCH",
                                 private_key=(folder / "merchant.pem").read_text(),
                                 apiv3_key=(folder / "apiv3").read_text(),
                                 public_key=(folder / "wechatpay_pub.pem").read_text(),
                                 public_key_id=(folder / "pub_key_id").read_text(), api_base="http://127.0.0.1:9")
    app = FastAPI()
    app.include_router(pay_router(runtime, provider))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def seed(dsn: str, orders: int) -> list[str]:
    """`orders` households, one unpaid 100-元 bill each and a prepaid WeChat Pay order for it."""
    with psycopg.connect(dsn, autocommit=True) as db:
        community = db.execute("INSERT INTO communities (code, name, address, phone, radius_m, created_at, "
                               "updated_at) VALUES ('BENCH', '基准小区', '', '', 500, now(), now()) RETURNING id"
                               ).fetchone()[0]
        building = db.execute("INSERT INTO buildings (community_id, name, sort_key) VALUES (%s, '1栋', 1) "
                              "RETURNING id", (community,)).fetchone()[0]
        item = db.execute("INSERT INTO fee_items (community_id, name, kind, unit_price, unit, cycle, mode, due_day, "
                          "effective_from, late_fee_daily_rate, late_fee_grace_days, late_fee_cap_rate, active, "
                          "created_at, updated_at) VALUES (%s, '物业费', 'fixed', 100, '户', 'monthly', 'prepaid', "
                          "15, '2026-01-01', 0, 0, 0, true, now(), now()) RETURNING id", (community,)).fetchone()[0]
        db.execute("""INSERT INTO households (community_id, building_id, room, area_m2, occupancy, created_at,
                      updated_at) SELECT %s, %s, 'R' || n, 90, 'occupied', now(), now()
                      FROM generate_series(1, %s) n""", (community, building, orders))
        db.execute("""INSERT INTO bills (community_id, building_id, household_id, fee_item_id, subject, period,
                      service_start, service_end, quantity, unit_price, amount_fen, late_fee_fen, due_date, status,
                      description, created_at)
                      SELECT community_id, building_id, id, %s, 'h' || id, '2026-12', '2026-12-01', '2026-12-31', 1,
                             100, 10000, 0, '2026-12-15', 'unpaid', '物业费 2026-12', now()
                      FROM households WHERE community_id = %s""", (item, community))
        db.execute("""INSERT INTO payment_orders (number, out_trade_no, community_id, openid, method, amount_fen,
                      status, version, prepay_id, prepaid_at, expires_at, paid_fen, refunded_fen, note, recorded_by,
                      created_at, updated_at)
                      SELECT 'JF-20261231-' || lpad(h.id::text, 6, '0'), 'BENCH-JF-' || h.id, %s, 'o' || h.id,
                             'wechat', 10000, 'prepaid', 1, 'wx' || h.id, now(), now() + interval '15 minutes',
                             0, 0, '', 'bench', now(), now()
                      FROM households h WHERE h.community_id = %s""", (community, community))
        db.execute("""INSERT INTO payment_order_lines (order_id, bill_id, amount_fen, late_fee_fen)
                      SELECT o.id, b.id, 10000, 0 FROM payment_orders o
                      JOIN bills b ON b.subject = 'h' || substr(o.out_trade_no, 10)""")
        db.execute("ANALYZE")
        return [row[0] for row in db.execute("SELECT out_trade_no FROM payment_orders ORDER BY id")]


def notifications(fake: FakeWechatPay, out_trade_nos: list[str], total: int, rng: random.Random
                  ) -> list[tuple[str, dict[str, str], bytes]]:
    """(kind, headers, body): unique, 10 % duplicates of earlier ones, 1 % forged by another key."""
    impostor = FakeWechatPay(merchant_public_key=public_pem(new_rsa_key()), apiv3_key=fake.apiv3_key)
    impostor.public_key_id = fake.public_key_id
    forged_count, duplicate_count = total // 100, total // 10
    unique = [("unique", *fake.notification(no)) for no in out_trade_nos[:total - forged_count - duplicate_count]]
    impostor.trades = fake.trades
    forged = [("forged", *impostor.notification(rng.choice(out_trade_nos))) for _ in range(forged_count)]
    duplicates = [("duplicate", headers, body) for _, headers, body in rng.choices(unique, k=duplicate_count)]
    deliveries = unique + forged + duplicates
    rng.shuffle(deliveries)
    return deliveries


async def burst(base: str, deliveries: list, concurrency: int) -> tuple[list[float], list[tuple[str, int]], float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    outcomes: list[tuple[str, int]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        async def one(kind: str, headers: dict[str, str], body: bytes) -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.post("/pay/notify/wechatpay", content=body,
                                             headers={**headers, "Content-Type": "application/json"})
                latencies.append(time.perf_counter() - started)
                outcomes.append((kind, response.status_code))

        started = time.perf_counter()
        await asyncio.gather(*(one(*delivery) for delivery in deliveries))
        return latencies, outcomes, time.perf_counter() - started


async def health_baseline(base: str, count: int, concurrency: int) -> list[float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                await client.get("/healthz")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(count)))
    return latencies


def load() -> str:
    """The 1-, 5- and 15-minute load averages: figures from a shared machine mean little without them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--pg", default=PG)
    sub = parser.add_subparsers(dest="command")
    serving = sub.add_parser("serve")
    for option in ("--db", "--keys", "--mchid", "--appid"):
        serving.add_argument(option, required=True)
    serving.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
        return
    rng = random.Random(20261231)
    merchant = new_rsa_key()
    fake = FakeWechatPay(merchant_public_key=public_pem(merchant))
    name, server = f"linli_burst_{uuid.uuid4().hex[:8]}", args.pg.rsplit("/", 1)[0]
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    process = None
    try:
        dsn = f"{server}/{name}"
        url = dsn.replace("postgresql://", "postgresql+asyncpg://")
        upgrade(url)
        unique_count = args.notifications - args.notifications // 10 - args.notifications // 100
        out_trade_nos = seed(dsn, unique_count)
        for no in out_trade_nos:
            fake.trades[no] = {"mchid": fake.mchid, "appid": fake.appid, "out_trade_no": no, "transaction_id": "",
                               "trade_type": "JSAPI", "trade_state": "NOTPAY", "payer": {"openid": "o"},
                               "amount": {"total": 10000, "payer_total": 10000, "currency": "CNY"}}
            fake.pay(no)
        deliveries = notifications(fake, out_trade_nos, args.notifications, rng)
        keys = Path(tempfile.mkdtemp(prefix="linli-burst-"))
        (keys / "merchant.pem").write_text(private_pem(merchant))
        (keys / "apiv3").write_text(fake.apiv3_key)
        (keys / "wechatpay_pub.pem").write_text(fake.public_key_pem)
        (keys / "pub_key_id").write_text(fake.public_key_id)
        port = free_port()
        process = subprocess.Popen([sys.executable, __file__, "serve", "--db", url, "--keys", str(keys),
                                    "--mchid", fake.mchid, "--appid", fake.appid, "--port", str(port)],
                                   env=os.environ.copy())
        base = f"http://127.0.0.1:{port}"
        if not wait_for_health(base, process, timeout_s=60):
            raise RuntimeError("the server did not start")
        print(f"load average {load()} before")
        health = asyncio.run(health_baseline(base, 2000, args.concurrency))
        latencies, outcomes, seconds = asyncio.run(burst(base, deliveries, args.concurrency))
        with psycopg.connect(dsn) as db:
            paid_orders = db.execute("SELECT count(*) FROM payment_orders WHERE status = 'paid'").fetchone()[0]
            paid_bills = db.execute("SELECT count(*) FROM bills WHERE status = 'paid'").fetchone()[0]
            ledger, credited = db.execute("SELECT count(*), count(DISTINCT bill_id) FROM ledger_entries"
                                          ).fetchone()
            receipts = db.execute("SELECT count(*) FROM receipts").fetchone()[0]
            stored = db.execute("SELECT count(*) FROM payment_notifications").fetchone()[0]
        by_kind: dict[str, dict[int, int]] = {}
        for kind, status in outcomes:
            by_kind.setdefault(kind, {}).setdefault(status, 0)
            by_kind[kind][status] += 1
        print(f"{len(deliveries):,} notifications ({unique_count:,} orders, {args.notifications // 10:,} duplicates, "
              f"{args.notifications // 100:,} forged) at {args.concurrency} concurrent, PostgreSQL, one uvicorn "
              f"process: {seconds:.1f} s, {len(deliveries) / seconds:,.0f}/s")
        print(f"latency ms: p50 {percentile(latencies, 0.5):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
              f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies) * 1000:.1f}")
        print(f"baseline /healthz ms: p50 {percentile(health, 0.5):.1f}  p99 {percentile(health, 0.99):.1f}")
        print(f"answers by kind: {by_kind}")
        double = ledger - credited
        forged_refused = by_kind.get("forged", {}).get(401, 0)
        print(f"orders paid {paid_orders:,}, bills paid {paid_bills:,}, ledger rows {ledger:,} for {credited:,} bills "
              f"(double credits: {double}), receipts {receipts:,}, notifications stored {stored:,}; "
              f"forged refused {forged_refused}/{args.notifications // 100}; load average {load()} after")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
