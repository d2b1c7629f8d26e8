"""The Bot with the real FAQ assistant (knowledge/) over the demo knowledge: answers with citations, feedback,
honest unknowns listed for staff, intent routing, a question in the middle of a dialog.

One test on purpose: seeding the demo knowledge (embedding every entry) costs ~15 s, so it is done once."""

from __future__ import annotations

from sqlalchemy import select

from bot.registry import DialogRegistry, default_dialogs
from bot.router import Bot
from bot.services import BotServices
from tests.bot.owners import FolderMedia, Owner
from workflows.faq.models import FaqFeedback, UnansweredQuestion


async def test_the_bot_with_the_real_assistant_over_the_demo_knowledge(settings, runtime) -> None:
    from knowledge.assistant import build_assistant
    from linli.cli_kb import seed_demo_knowledge

    await seed_demo_knowledge(settings)
    bot = Bot(runtime, BotServices(assistant=build_assistant(settings), media=FolderMedia()),
              DialogRegistry(default_dialogs()))
    try:
        newcomer = Owner(bot, "chat-real-unbound")  # two communities, not bound yet: the shared entries only
        reply = await newcomer.say("物业费怎么交？")
        assert "依据" not in reply and "绑定房屋" in reply
        asker = Owner(bot, "chat-real-faq")
        await asker.bind_demo_flat()  # 阳光花园: its own FAQ answers
        reply = await asker.say("物业费怎么交？")
        assert "依据" in reply and "有帮助吗" in reply and "2. 没帮助" in reply
        assert await asker.say("1") == "谢谢您的反馈！"

        stranger = Owner(bot, "chat-real-unknown")
        assert "转人工" in await stranger.say("明天上证指数会涨吗？")

        thanker = Owner(bot, "chat-real-thanks")  # small talk twice: a kind word, never "I don't know" or a person
        assert await thanker.say("谢谢啊") == "不客气，有需要随时找我。"
        assert await thanker.say("好的知道了") == "好的，有需要随时找我。"

        router = Owner(bot, "chat-real-route")
        assert "请选择您的小区" in await router.say("我想把我家房子绑一下")
        reply = await router.say("个人信息会不会泄露？")  # a question in the middle of binding (a shared entry)
        assert "依据" in reply and "请选择您的小区" in reply
    finally:
        await bot.transcript.stop()
    async with runtime.sessions() as session:
        feedback = await session.scalar(select(FaqFeedback).where(FaqFeedback.openid == "chat-real-faq"))
        listed = await session.scalar(select(UnansweredQuestion).where(UnansweredQuestion.openid == stranger.openid))
        thanks_listed = await session.scalar(select(UnansweredQuestion).where(
            UnansweredQuestion.openid == thanker.openid))
    assert feedback is not None and feedback.helpful
    assert listed is not None
    assert thanks_listed is None
