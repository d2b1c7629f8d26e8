"""Fixtures of the WeChat channel tests: settings with the published sample account, a recording responder,
and the webhook served in-process (httpx over ASGI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.messages import Inbound, Reply
from bot.wechat.intake import Intake
from bot.wechat.webhook import wechat_router
from tests.bot.wechat.wire import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from tests.services import copy_sqlite, test_settings
from workflows.audit.models import AuditEvent
from workflows.audit.service import record_event
from workflows.db import transaction
from workflows.messages.models import MessageLog
from workflows.outbox.models import OutboxMessage
from workflows.runtime import Runtime
from workflows.settings import Settings

WECHAT = {"wechat_token": TEST_TOKEN, "wechat_aes_key": TEST_AES_KEY, "wechat_appid": TEST_APPID,
          "wechat_app_secret": "test-secret"}


def wechat_settings(tmp_path: Path, sqlite_template: Path, **overrides: object) -> Settings:
    return test_settings(tmp_path, database_url=copy_sqlite(sqlite_template, tmp_path), **(WECHAT | overrides))


class RecordingResponder:
    """Stands in for the Bot: answers "收到：<text>", records each call as an audit row (a real side effect)."""

    def __init__(self, runtime: Runtime, delay_s: float = 0.0) -> None:
        self.runtime = runtime
        self.delay_s = delay_s
        self.calls: list[Inbound] = []

    async def respond(self, inbound: Inbound) -> Reply:
        self.calls.append(inbound)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        async with transaction(self.runtime.sessions) as session:
            record_event(session, entity_type="test_message", entity_id=inbound.dedup_key, action="respond",
                         actor=inbound.openid)
        return Reply(f"收到：{inbound.content or inbound.event or inbound.msg_type}")


async def count_rows(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def stored_counts(runtime: Runtime) -> dict[str, int]:
    return {"message_log": await count_rows(runtime, MessageLog), "outbox": await count_rows(runtime, OutboxMessage),
            "side_effects": await count_rows(runtime, AuditEvent)}


@pytest.fixture
def wsettings(tmp_path: Path, sqlite_template: Path) -> Settings:
    return wechat_settings(tmp_path, sqlite_template)


@pytest.fixture
async def wruntime(wsettings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.from_settings(wsettings)
    yield runtime
    await runtime.close()


def make_webhook_app(runtime: Runtime, responder: object, budget_s: float | None = None) -> tuple[FastAPI, Intake]:
    intake = Intake(runtime=runtime, bot=responder, budget_s=budget_s)
    app = FastAPI()
    app.include_router(wechat_router(settings=runtime.settings, intake=intake))
    return app, intake


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wechat.test")


from tests.fakes.fixtures import fake_wechat_api  # noqa: E402, F401


def api_settings(settings: Settings, fake) -> Settings:
    """The same settings pointed at the fake WeChat API (which learns the account's appid)."""
    fake.appid = settings.wechat_appid
    return settings.model_copy(update={"wechat_api_base": fake.base_url, "wechat_app_secret": fake.secret})
