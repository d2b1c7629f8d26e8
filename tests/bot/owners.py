"""Driving the Bot in tests as an owner would: `await owner.say("绑定房屋")` returns the reply text.

The FAQ assistant outside this package is replaced by a tiny in-test assistant with the same methods
(answer / answer_entry / route); tests with the real knowledge.assistant live beside these.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.conversation import KEY as CONV_KEY
from bot.messages import Inbound, Location
from bot.registry import DialogRegistry, default_dialogs
from bot.router import Bot
from bot.services import BotServices
from workflows.runtime import Runtime


@dataclass
class Answer:
    kind: str
    text: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    entry_id: str | None = None
    confidence: float = 0.0


@dataclass
class Guess:
    intent: str | None
    confidence: float = 0.0
    slots: dict[str, Any] = field(default_factory=dict)


class TinyAssistant:
    """Answers from a dict of question → Answer; routes from a dict of text → Guess; records what it was asked."""

    def __init__(self, answers: dict[str, Answer] | None = None, routes: dict[str, Guess] | None = None,
                 entries: dict[str, Answer] | None = None) -> None:
        self.answers = answers or {}
        self.routes = routes or {}
        self.entries = entries or {}
        self.asked: list[str] = []
        self.scopes: list[int | None] = []  # the community_id of each answer asked for (None: shared only)
        self.intents_seen: list[Any] = []

    async def route(self, *, text: str, intents: list[Any]) -> Guess:
        self.intents_seen = intents
        return self.routes.get(text, Guess(intent="faq", confidence=0.3))

    async def answer(self, *, community_id: int | None, question: str) -> Answer:
        self.asked.append(question)
        self.scopes.append(community_id)
        return self.answers.get(question, Answer(kind="unknown", text="这个问题我还不太清楚。"))

    async def answer_entry(self, *, community_id: int | None, entry_id: str) -> Answer:
        self.scopes.append(community_id)
        return self.entries[entry_id]


class FolderMedia:
    """Stores nothing but says where it would: the media store is helper A's (bot/media.py)."""

    def __init__(self) -> None:
        self.stored: list[str] = []

    async def store(self, inbound: Inbound) -> str:
        name = f"photos/{len(self.stored) + 1}.jpg"
        self.stored.append(name)
        return name


def make_bot(runtime: Runtime, *, assistant: Any = None, dialogs: list | None = None) -> Bot:
    registry = DialogRegistry(default_dialogs() if dialogs is None else dialogs)
    return Bot(runtime, BotServices(assistant=assistant, media=FolderMedia()), registry)


class Owner:
    """One owner talking to the bot."""

    def __init__(self, bot: Bot, openid: str = "chat-test-owner", channel: str = "chat") -> None:
        self.bot = bot
        self.openid = openid
        self.channel = channel

    async def say(self, text: str) -> str:
        return (await self.bot.respond(Inbound(openid=self.openid, msg_type="text", content=text,
                                               channel=self.channel))).text

    async def send(self, msg_type: str, **fields: Any) -> str:
        return (await self.bot.respond(Inbound(openid=self.openid, msg_type=msg_type, channel=self.channel,
                                               **fields))).text

    async def event(self, event: str, key: str | None = None) -> str:
        return await self.send("event", event=event, event_key=key)

    async def location(self, lat: float, lon: float) -> str:
        return await self.send("location", location=Location(lat, lon, "上海市浦东新区阳光路"))

    async def conversation(self) -> dict[str, Any]:
        raw = await self.bot.runtime.state.get(CONV_KEY.format(openid=self.openid))
        return json.loads(raw) if raw else {}

    async def wait(self, seconds: float) -> None:
        """Pretend the owner stayed silent for this long (the conversation's clock is moved back)."""
        data = await self.conversation()
        data["updated_at"] -= seconds
        await self.bot.runtime.state.set(CONV_KEY.format(openid=self.openid), json.dumps(data))

    async def change(self, label: str) -> str:
        """At a confirmation: 修改, then the item with this label (联系电话, 上门时间…); returns its question."""
        listing = await self.say("修改")
        found = re.search(rf"^(\d+)\. {re.escape(label)}：", listing, re.M)
        assert found, listing
        return await self.say(found.group(1))

    async def bind_demo_flat(self) -> str:
        for line in ("绑定房屋", "1", "1", "1单元101", "张伟"):
            await self.say(line)
        return await self.say("1234")
