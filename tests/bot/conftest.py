from __future__ import annotations

import pytest

from tests.bot.owners import Owner, TinyAssistant, make_bot
from workflows.runtime import Runtime


@pytest.fixture
def assistant() -> TinyAssistant:
    return TinyAssistant()


@pytest.fixture
async def bot(runtime: Runtime, assistant: TinyAssistant):
    bot = make_bot(runtime, assistant=assistant)
    yield bot
    await bot.transcript.stop()


@pytest.fixture
def owner(bot) -> Owner:
    return Owner(bot)
