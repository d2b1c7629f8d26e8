"""`linli chat` end to end: a subprocess reading piped stdin, on a copy of the seeded demo database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from workflows.db import transaction
from workflows.escalations.models import Escalation
from workflows.escalations.service import Actor, reply
from workflows.messages.models import MessageLog
from workflows.outbox.models import OutboxMessage
from workflows.runtime import Runtime

LINLI = Path(sys.executable).with_name("linli")


def run_chat(settings, lines: str, *, openid: str = "chat-demo-owner") -> str:
    env = {**os.environ, "LINLI_DATABASE_URL": settings.database_url, "LINLI_MEDIA_DIR": settings.media_dir,
           "LINLI_CHROMA_PATH": settings.chroma_path, "LINLI_REDIS_URL": ""}
    done = subprocess.run([str(LINLI), "chat", "--openid", openid], input=lines, capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_piped_conversation_binds_the_demo_flat_and_lists_it(settings) -> None:
    out = run_chat(settings, "绑定房屋\n1\n1\n1单元101\n张伟\n1234\n我的房屋\n")
    assert "绑定成功：阳光花园 1栋1单元101" in out
    assert "1. 阳光花园 1栋1单元101（张伟）" in out
    runtime = Runtime.from_settings(settings)
    try:
        async with runtime.sessions() as session:
            logged = list(await session.scalars(select(MessageLog).where(MessageLog.openid == "chat-demo-owner")))
    finally:
        await runtime.close()
    assert len(logged) == 14  # seven lines in, seven replies out: flushed when stdin ended
    assert {m.channel for m in logged} == {"chat"}


async def test_a_staff_reply_arrives_in_the_chat(settings, tmp_path) -> None:
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = run_chat(settings, f"{photo}\n转人工\n", openid="chat-helper-b")
    assert "收到图片啦" in out  # a file path is sent as a photo
    assert "RG-" in out
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            escalation = await session.scalar(select(Escalation).where(Escalation.openid == "chat-helper-b"))
            await reply(session, escalation=escalation, actor=Actor(role="front_desk", staff_id=3,
                                                                 community_ids={escalation.community_id}),
                        body="您好，我是客服小林，请问需要什么帮助？")
        out = run_chat(settings, "\n", openid="chat-helper-b")
        assert "[客服] 您好，我是客服小林，请问需要什么帮助？" in out
        async with runtime.sessions() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "wechat.text"))
        assert row.status == "sent"
        assert "[客服]" not in run_chat(settings, "\n", openid="chat-helper-b")  # delivered once
    finally:
        await runtime.close()


def test_chat_says_clearly_when_the_database_is_not_ready(tmp_path) -> None:
    from tests.services import test_settings

    settings = test_settings(tmp_path)  # an empty, unmigrated database file
    env = {**os.environ, "LINLI_DATABASE_URL": settings.database_url, "LINLI_MEDIA_DIR": settings.media_dir,
           "LINLI_CHROMA_PATH": settings.chroma_path}
    done = subprocess.run([str(LINLI), "chat"], input="你好\n", capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert done.returncode == 1 and "linli db upgrade" in done.stdout
