"""Webhook benchmark: encrypted WeChat messages through the whole path, against a bare FastAPI echo, same run.

    .venv/bin/python benchmarks/webhook.py [--owners 300] [--concurrency 10 50] [--bot real|edge] [--production]
                                           [--mix-owners 100] [--echo fastapi|asgi]

What it does (everything on 127.0.0.1, servers in subprocesses so the client does not steal their core):
1. a temp SQLite database, migrated and seeded with the demo community (embedded defaults: in-process state store);
2. `linli`'s real app under uvicorn (safe mode with a test EncodingAESKey), and a bare FastAPI endpoint that reads
   the body and echoes the same XML back (--echo asgi: a plain ASGI callable instead, without FastAPI's request
   machinery, which Linli's /wechat skips too: the stricter baseline);
3. for each concurrency level, a fresh set of owners (distinct openids) each walk the 绑定房屋 dialog: 绑定房屋
   (a dialog starts: state saved), then 1 (a dialog step: state loaded, choice parsed, state saved). "Known owners"
   sent 帮助 before the timed part (so the bot has read their bindings once, as for anyone who wrote in the last
   ten minutes); "first contact" times 帮助 too: a new, unbound owner, whom the state store's "may be bound" openid
   set (loaded at start) answers without a database read. Every message is signed and
   AES-encrypted exactly as WeChat sends it; one owner's messages go in order on one connection;
4. the same requests are sent to the echo server the same way;
5. prints p50/p99 latency, throughput, errors, server CPU per request (from /proc: robust when other work shares
   the machine) for both, and the ratios. Targets (issue 3, checked for both scenarios): p99 < 30 ms at 10
   concurrent; throughput >= 50 % of the echo's at 50 concurrent; zero errors.
6. the realistic mix: --mix-owners owners bound through the dialog (untimed), then each sends MIX (我的房屋, FAQ
   questions answered by retrieval, small talk, a dialog started, stepped and cancelled, 帮助), timed the same way.
Replies are checked after the timed part: HTTP 200, a valid msg_signature, and a decrypted reply that is neither
the outage nor the apology text.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from webhook_servers import (  # noqa: E402  (benchmarks/webhook_servers.py: servers, database, signed requests)
    AES_KEY,
    APPID,
    TOKEN,
    build_requests,
    drop_database,
    prepare_database,
    serve,
    start_server,
)

FIRST = ("帮助",)  # a new owner's first message: their profile is built and cached (no database read if unbound)
STEPS = ("绑定房屋", "1")  # a dialog starts (state saved), then one dialog step (state loaded, choice, saved)
BIND = ("绑定房屋", "1", "1", "1单元101", "张伟", "1234")  # untimed: the mix's owners are bound first
# The realistic mix: what bound owners send on an ordinary day — their flat (a binding lookup), FAQ questions
# (retrieval with the bundled model), small talk, a dialog started, stepped and cancelled, the help menu.
MIX = ("我的房屋", "物业费怎么交？", "谢谢", "报修", "1", "取消", "小区可以养狗吗", "帮助")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc: robust to other load on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- a small keep-alive HTTP/1.1 client: cheap enough not to be the bottleneck ------------------------------------
@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    bodies: list[bytes] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def run_connection(port: int, queue: list[list[bytes]], result: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            for request in queue.pop():
                started = time.perf_counter()
                writer.write(request)
                try:
                    status, body = await read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                result.latencies.append(time.perf_counter() - started)
                if status != 200:
                    result.errors += 1
                result.bodies.append(body)
    finally:
        writer.close()


async def drive(port: int, per_owner: list[list[bytes]], concurrency: int, pid: int | None = None) -> Result:
    result = Result()
    queue = list(reversed(per_owner))  # one owner's messages stay on one connection, in order
    cpu_before = cpu_seconds(pid) if pid else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(run_connection(port, queue, result) for _ in range(concurrency)))
    result.wall_s = time.perf_counter() - started
    result.server_cpu_s = cpu_seconds(pid) - cpu_before if pid else 0.0
    return result


def check_replies(result: Result) -> int:
    """Errors among the app's replies: not a signed, encrypted reply, or the outage/apology text."""
    from bot.wechat import texts
    from bot.wechat.protocol import Crypto, signature_of

    crypto = Crypto(TOKEN, AES_KEY, APPID)
    bad = 0
    for body in result.bodies:
        text = body.decode("utf-8", "replace")
        found = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt><MsgSignature><!\[CDATA\[(.*?)\]\]>"
                          r"</MsgSignature><TimeStamp>(\d+)</TimeStamp><Nonce><!\[CDATA\[(.*?)\]\]>", text)
        if not found:
            bad += 1
            continue
        encrypted, signature, timestamp, nonce = found.groups()
        inner = crypto.decrypt(encrypted).decode()
        if signature != signature_of(TOKEN, timestamp, nonce, encrypted) or texts.BUSY in inner or \
                texts.SORRY in inner:
            bad += 1
    return bad


def summary(result: Result) -> dict[str, float]:
    latencies = sorted(result.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"n": len(latencies), "p50_ms": statistics.median(latencies) * 1000, "p99_ms": p99 * 1000,
            "rps": len(latencies) / result.wall_s, "errors": result.errors,
            "cpu_us": result.server_cpu_s / len(latencies) * 1e6}


def run_level(app: tuple[subprocess.Popen, int], echo: tuple[subprocess.Popen, int], owners: int,
              concurrency: int, first_contact: bool) -> tuple[dict, dict]:
    """One measurement: known owners (primed with 帮助, untimed) walking STEPS, or new owners timed from FIRST."""
    prefix = f"{'f' if first_contact else 'k'}{concurrency}x"
    texts = FIRST + STEPS if first_contact else STEPS
    (app_process, app_port), (echo_process, echo_port) = app, echo
    if not first_contact:
        asyncio.run(drive(app_port, build_requests(owners, FIRST, prefix, app_port), concurrency))  # same owners
    requests = build_requests(owners, texts, prefix, app_port)
    app_result = asyncio.run(drive(app_port, requests, concurrency, app_process.pid))
    app_result.errors += check_replies(app_result)
    echo_result = asyncio.run(drive(echo_port, build_requests(owners, texts, prefix, echo_port), concurrency,
                                    echo_process.pid))
    return summary(app_result), summary(echo_result)


def run_mix(app: tuple[subprocess.Popen, int], echo: tuple[subprocess.Popen, int], owners: int,
            concurrency: int) -> tuple[dict, dict]:
    """Bound owners (bound through the dialog, untimed) sending MIX, timed, against the echo."""
    prefix = f"m{concurrency}x"
    (app_process, app_port), (echo_process, echo_port) = app, echo
    asyncio.run(drive(app_port, build_requests(owners, BIND, prefix, app_port), concurrency))
    app_result = asyncio.run(drive(app_port, build_requests(owners, MIX, prefix, app_port), concurrency,
                                   app_process.pid))
    app_result.errors += check_replies(app_result)
    echo_result = asyncio.run(drive(echo_port, build_requests(owners, MIX, prefix, echo_port), concurrency,
                                    echo_process.pid))
    return summary(app_result), summary(echo_result)


def print_rows(title: str, rows: list[tuple[int, dict, dict]]) -> None:
    print(f"\n{title}")
    print(f"{'conc':>4} {'server':>6} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6} "
          f"{'server CPU us/req':>18}")
    for concurrency, app, echo in rows:
        for name, row in (("linli", app), ("echo", echo)):
            print(f"{concurrency:>4} {name:>6} {row['n']:>5} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
                  f"{row['rps']:>8.0f} {row['errors']:>6} {row['cpu_us']:>18.0f}")
        print(f"     ratios linli/echo: throughput {ratio(app['rps'], echo['rps']):.2f}, "
              f"p50 {ratio(app['p50_ms'], echo['p50_ms']):.1f}x, p99 {ratio(app['p99_ms'], echo['p99_ms']):.1f}x, "
              f"server CPU per request {ratio(app['cpu_us'], echo['cpu_us']):.1f}x "
              f"(throughput bound when CPU-bound: {ratio(echo['cpu_us'], app['cpu_us']):.2f})")


def ratio(value: float, baseline: float) -> float:
    """value / baseline; nan when the baseline is 0 (a short run's CPU time is below the 10 ms clock tick)."""
    return value / baseline if baseline else float("nan")


def verdicts(rows: list[tuple[int, dict, dict]]) -> list[str]:
    """The issue's targets for one scenario: p99 < 30 ms at 10 concurrent, >= 50 % of the echo at 50, no errors."""
    by_level = {c: (a, e) for c, a, e in rows}
    found = []
    if 10 in by_level:
        found.append(f"p99 at 10 concurrent {by_level[10][0]['p99_ms']:.1f} ms (target < 30): "
                     f"{'met' if by_level[10][0]['p99_ms'] < 30 else 'NOT met'}")
    if 50 in by_level:
        ratio = by_level[50][0]["rps"] / by_level[50][1]["rps"]
        found.append(f"throughput at 50 concurrent {ratio:.2f} of echo (target >= 0.50): "
                     f"{'met' if ratio >= 0.5 else 'NOT met'}")
    errors = sum(a["errors"] for _, a, _ in rows)
    found.append(f"errors {errors} (target 0): {'met' if errors == 0 else 'NOT met'}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", choices=["app", "echo", "asgi-echo"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--owners", type=int, default=300, help="distinct owners per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--mix-owners", type=int, default=100, help="bound owners in the realistic mix (0: skip)")
    parser.add_argument("--bot", choices=["real", "edge"], default="real",
                        help="real: the product's Bot and dialogs; edge: the channel alone with a trivial bot")
    parser.add_argument("--echo", choices=["fastapi", "asgi"], default="fastapi",
                        help="the baseline: a FastAPI route (as in every figure in docs/wechat.md) or a plain ASGI app")
    parser.add_argument("--production", action="store_true",
                        help="PostgreSQL (a database created for the run, dropped after) and Redis instead of the "
                             "embedded SQLite and in-process state store")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        production = f"linli_bench_{Path(tmp).name.replace('-', '_').lower()}" if args.production else ""
        env = prepare_database(Path(tmp), production) | {"BENCH_BOT": args.bot}
        servers: list[tuple[subprocess.Popen, int]] = []
        try:
            app = start_server("app", env)
            servers.append(app)
            echo = start_server("echo" if args.echo == "fastapi" else "asgi-echo", env)
            servers.append(echo)
            asyncio.run(drive(app[1], build_requests(20, FIRST + STEPS, "warm", app[1]), 5))
            asyncio.run(drive(echo[1], build_requests(20, FIRST + STEPS, "warm", echo[1]), 5))
            known = [(c, *run_level(app, echo, args.owners, c, False)) for c in args.concurrency]
            first = [(c, *run_level(app, echo, args.owners, c, True)) for c in args.concurrency]
            mix = [(c, *run_mix(app, echo, args.mix_owners, c)) for c in args.concurrency] if args.mix_owners else []
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=10)
            if production:
                drop_database(production, env)
    backends = "PostgreSQL + Redis" if args.production else "SQLite + in-process state store"
    print(f"\nwebhook benchmark ({args.bot} bot, {backends}), {args.owners} distinct owners per row, every message "
          f"signed and AES-encrypted; loopback; each server one uvicorn process (uvloop, httptools); echo: {args.echo}")
    print_rows(f"known owners (first message 帮助 sent before timing): {' -> '.join(STEPS)}", known)
    print_rows(f"first contact (new, unbound owners: profile built and cached): {' -> '.join(FIRST + STEPS)}", first)
    if mix:
        print_rows(f"realistic mix ({args.mix_owners} bound owners): {' -> '.join(MIX)}", mix)
    for name, rows in (("known owners", known), ("first contact", first), ("realistic mix", mix)):
        if rows:
            print(f"\n{name}: " + "; ".join(verdicts(rows)))
    print(f"load average after the run (other work on this machine skews the figures): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
