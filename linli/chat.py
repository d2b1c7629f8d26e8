"""`linli chat`: a terminal conversation as an owner, through the very same Bot, state store and services as WeChat.

Reads lines from stdin when it is not a terminal, so a conversation can be scripted:
    printf '绑定房屋\\n1\\n1\\n1单元101\\n张伟\\n1234\\n我的房屋\\n' | linli chat
A line naming an existing image file is sent as a photo. An empty line sends nothing and only shows new messages.
Messages staff send this owner (outbox rows of kind wechat.*) are printed as "[客服] …" after each turn and marked
sent: the chat channel delivers them instead of WeChat (openids of the chat channel start with "chat-").
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import select, text

from bot.media import LocalFileMediaStore
from bot.messages import Inbound
from bot.registry import default_registry
from bot.router import Bot
from bot.services import BotServices
from bot.texts import STATE_UNAVAILABLE
from workflows.db import transaction
from workflows.outbox.models import OutboxMessage, OutboxStatus
from workflows.outbox.service import mark_sent
from workflows.runtime import Runtime
from workflows.settings import Settings
from workflows.statestore import StateStoreUnavailable

DEFAULT_OPENID = "chat-demo-owner"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"}


def build_services(settings: Settings) -> BotServices:
    """The FAQ assistant from knowledge/ when it is there, and the media store for files named in the terminal."""
    assistant: Any = None
    try:
        from knowledge.assistant import build_assistant  # type: ignore[import-not-found]
    except ImportError:
        build_assistant = None
    if build_assistant is not None:
        assistant = build_assistant(settings)
    return BotServices(assistant=assistant, media=LocalFileMediaStore(settings))


def inbound_from_line(line: str, openid: str) -> Inbound:
    """A typed line is a text message; a path to an existing image file is a photo."""
    candidate = Path(line.strip()).expanduser()
    if line.strip() and candidate.suffix.lower() in IMAGE_SUFFIXES and candidate.is_file():
        return Inbound(openid=openid, msg_type="image", local_path=str(candidate.resolve()), channel="chat")
    return Inbound(openid=openid, msg_type="text", content=line.rstrip("\r\n"), channel="chat")


async def deliver_chat_messages(runtime: Runtime, openid: str) -> list[str]:
    """Pending outbox messages (kind wechat.*) addressed to this openid: returned in order and marked sent."""
    async with transaction(runtime.sessions) as session:
        rows = list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind.like("wechat.%"),
                                        OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.id).limit(500)))
        mine = [row for row in rows if (row.payload or {}).get("openid") == openid]
        for row in mine:
            await mark_sent(session, message_id=row.id)
        return [_chat_line(runtime, row) for row in mine]


def _chat_line(runtime: Runtime, row: OutboxMessage) -> str:
    """A text as is; an image (a visitor pass's QR code) as the path of the PNG saved for the chat."""
    payload = row.payload or {}
    if row.kind == "wechat.image":
        path = (Path(runtime.settings.media_dir) / str(payload.get("path", ""))).resolve()
        return f"[图片] 二维码已保存：{path}"
    return str(payload.get("text", ""))


async def database_ready(runtime: Runtime) -> bool:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1 FROM communities LIMIT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means: not migrated/seeded here
        return False


async def run_chat(settings: Settings, openid: str, *, interactive: bool, console: Console) -> int:
    runtime = Runtime.from_settings(settings)
    try:
        if not await database_ready(runtime):
            console.print("数据库还没准备好。请先运行：linli db upgrade，然后 linli demo（make run 会自动做）。")
            return 1
        bot = Bot(runtime, build_services(settings), default_registry())
        bot.transcript.start()
        try:
            await _converse(bot, runtime, openid, interactive=interactive, console=console)
        finally:
            await bot.transcript.stop()
        return 0
    finally:
        await runtime.close()


async def _read_line(interactive: bool) -> str | None:
    if interactive:
        from rich.prompt import Prompt

        try:
            return await asyncio.to_thread(Prompt.ask, "[bold]您[/bold]", default="", show_default=False)
        except (EOFError, KeyboardInterrupt):
            return None
    line = await asyncio.to_thread(sys.stdin.readline)
    return line if line else None


async def _converse(bot: Bot, runtime: Runtime, openid: str, *, interactive: bool, console: Console) -> None:
    def say(message: str) -> None:  # owner text and bot replies are never Rich markup
        if interactive:
            console.print(message, markup=False, highlight=False)
        else:
            print(message, flush=True)

    if interactive:
        console.print(f"[dim]以业主身份聊天（openid {openid}）。直接回车查看新消息，Ctrl-D 退出。[/dim]")
    while True:
        line = await _read_line(interactive)
        if line is None:
            break
        if line.strip():
            if not interactive:
                say(f"您：{line.strip()}")
            try:
                reply = await bot.respond(inbound_from_line(line, openid))
                answer = reply.text
            except StateStoreUnavailable:
                answer = STATE_UNAVAILABLE
            if answer:
                say(f"邻里：{answer}")
        for message in await deliver_chat_messages(runtime, openid):
            say(f"[客服] {message}")


def chat_command(openid: str = typer.Option(DEFAULT_OPENID, "--openid", help="who you are (WeChat openid)")) -> None:
    """Talk to the bot as an owner in the terminal (same bot as WeChat). Pipe lines into it to script a chat."""
    console = Console()
    code = asyncio.run(run_chat(Settings(), openid, interactive=sys.stdin.isatty(), console=console))
    raise typer.Exit(code)
