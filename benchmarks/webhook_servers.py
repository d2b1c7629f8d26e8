"""Servers and requests for benchmarks/webhook.py: the servers under test and the messages sent to them.

- `serve`: what runs in each server subprocess (`webhook.py --serve app|echo|asgi-echo`): Linli's real app (with
  `EdgeResponder` for --bot edge), a bare FastAPI echo, or a plain ASGI echo;
- `start_server`: one such subprocess on a free loopback port;
- `prepare_database` / `drop_database`: a migrated, seeded SQLite file, or for --production a PostgreSQL database
  created for the run plus Redis under its own key prefix, removed after;
- `build_requests`: each owner's messages signed and AES-encrypted exactly as WeChat sends them, as raw HTTP.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linli.localhost import free_port, wait_for_port  # noqa: E402

BENCHMARK = Path(__file__).with_name("webhook.py")  # its --serve option runs `serve` in each server subprocess

TOKEN = "bench-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wxbench000000001"
ACCOUNT = "gh_bench"


# --- servers (run in subprocesses) ---------------------------------------------------------------------------
def serve(kind: str, port: int) -> None:
    import uvicorn

    if kind == "echo":
        app = FastAPI()

        @app.post("/wechat")
        async def echo(request: Request) -> Response:
            return Response(await request.body(), media_type="application/xml")
    elif kind == "asgi-echo":
        app = asgi_echo
    else:
        from linli.app import create_app
        from workflows.settings import Settings

        app = create_app(Settings())
        if os.environ.get("BENCH_BOT") == "edge":
            app.state.wechat_intake.bot = EdgeResponder(app.state.runtime)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop",
                http="httptools")


async def asgi_echo(scope: dict, receive, send) -> None:
    """--echo asgi: the body back, straight on the ASGI interface."""
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/xml"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class EdgeResponder:
    """--bot edge: the channel alone (verify, decrypt, dedup, lock, encrypt) with a bot that only reads and writes
    the conversation state once, to tell the channel's cost from the dialogs' cost."""

    def __init__(self, runtime) -> None:
        self.state = runtime.state

    async def respond(self, inbound):
        from bot.messages import Reply

        key = f"conv:{inbound.openid}"
        steps = int(await self.state.get(key) or 0) + 1
        await self.state.set(key, str(steps), 600)
        return Reply(f"第{steps}步：收到“{inbound.content}”。请选择小区：\n1. 阳光花园\n2. 翠湖苑")



def start_server(kind: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(BENCHMARK), "--serve", kind, "--port", str(port)], env=env,
                               cwd=ROOT)
    if wait_for_port(port, process, timeout_s=float(os.environ.get("LINLI_BENCH_START_S", "120"))):
        return process, port
    if process.poll() is not None:
        raise RuntimeError(f"{kind} server exited with {process.returncode}")
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


PG_ADMIN = os.environ.get("LINLI_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("LINLI_BENCH_PG_BASE", "postgresql+asyncpg://postgres@127.0.0.1:5432/")


def prepare_database(folder: Path, production: str = "") -> dict[str, str]:
    """A migrated, seeded database: a SQLite file (embedded default) or, with `production` set to a fresh database
    name, PostgreSQL plus Redis (own key prefix)."""
    from linli.demo import seed_everything
    from workflows.migrate import upgrade
    from workflows.settings import Settings

    database_url = f"sqlite+aiosqlite:///{folder / 'linli.db'}"
    redis_url = ""
    if production:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{production}"')
        database_url = PG_BASE + production
        redis_url = os.environ.get("LINLI_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    env = {**os.environ, "LINLI_DATABASE_URL": database_url,
           "LINLI_MEDIA_DIR": str(folder / "media"), "LINLI_CHROMA_PATH": str(folder / "chroma"),
           "LINLI_REDIS_URL": redis_url, "LINLI_REDIS_PREFIX": f"linli-bench:{folder.name}:",
           "LINLI_WECHAT_TOKEN": TOKEN, "LINLI_WECHAT_AES_KEY": AES_KEY,
           "LINLI_WECHAT_APPID": APPID, "LINLI_WECHAT_API_BASE": "http://127.0.0.1:9",  # nothing leaves
           "LINLI_RUN_WORKERS_IN_PROCESS": "true"}
    settings = Settings(_env_file=None, database_url=database_url, media_dir=env["LINLI_MEDIA_DIR"],
                        chroma_path=env["LINLI_CHROMA_PATH"])
    upgrade(settings.database_url)
    asyncio.run(seed_everything(settings))
    return env


def drop_database(name: str, env: dict[str, str]) -> None:
    import psycopg
    import redis

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    client = redis.Redis.from_url(env["LINLI_REDIS_URL"])
    for key in client.scan_iter(match=env["LINLI_REDIS_PREFIX"] + "*", count=1000):
        client.delete(key)
    client.close()


# --- requests ---------------------------------------------------------------------------------------------------
_msg_ids = 0


def build_requests(owners: int, texts: tuple[str, ...], prefix: str, port: int) -> list[list[bytes]]:
    """Per owner, the raw HTTP requests of their messages (signed, encrypted), in order."""
    from bot.wechat.protocol import Crypto, signature_of

    crypto = Crypto(TOKEN, AES_KEY, APPID)
    now = int(time.time())
    global _msg_ids
    msg_id = _msg_ids = max(_msg_ids, int(time.time() * 1000) * 1000)  # never reused within a run
    per_owner = []
    for n in range(owners):
        openid = f"o{prefix}{n:05d}bench"
        requests = []
        for text in texts:
            msg_id += 1
            inner = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
                     f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                     f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")
            timestamp, nonce = str(now), str(msg_id % 1000000007)
            envelope = crypto.encrypt(inner, nonce, timestamp)
            encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
                    "</xml>").encode()
            msg_signature = signature_of(TOKEN, timestamp, nonce, encrypted)
            query = (f"signature={signature_of(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
                     f"&openid={openid}&encrypt_type=aes&msg_signature={msg_signature}")
            head = (f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/xml\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            requests.append(head + body)
        per_owner.append(requests)
    _msg_ids = msg_id + 1
    return per_owner
