"""积分 in the owner's own words: the dialogs' declared language (bot/dialogs/language/points.txt, redeem.txt)
reaches intent routing, so free text finds 我的积分 and 积分兑换 with the real assistant, and a fee question does not.

One test on purpose: seeding the demo knowledge (embedding every entry) is the slow part."""

from __future__ import annotations

from bot.registry import DialogRegistry, default_dialogs
from bot.router import Bot
from bot.services import BotServices
from tests.bot.owners import FolderMedia, Owner


async def test_free_text_about_points_and_rewards_finds_their_dialogs(settings, runtime) -> None:
    from knowledge.assistant import build_assistant
    from linli.cli_kb import seed_demo_knowledge

    await seed_demo_knowledge(settings)
    bot = Bot(runtime, BotServices(assistant=build_assistant(settings), media=FolderMedia()),
              DialogRegistry(default_dialogs()))
    try:
        owner = Owner(bot, "chat-points-words")
        await owner.bind_demo_flat()
        for words in ("我家现在攒了多少积分啊", "帮我查下积分还剩几分"):
            assert "当前积分 0 分" in await owner.say(words), words
        for words in ("我想拿积分换一张停车券", "积分可以兑换点什么东西"):
            assert "暂时没有可兑换的礼品" in await owner.say(words), words
        assert "当前积分" not in await owner.say("物业费怎么交？")
    finally:
        await bot.transcript.stop()
