"""Routing outside a dialog: events, trigger words, 转人工, 缴费/访客, the FAQ assistant, and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from bot.messages import Inbound
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from workflows.escalations.models import Escalation
from workflows.messages.models import MessageLog
from workflows.statestore import RedisStateStore, StateStoreUnavailable


async def escalations_of(runtime, openid: str) -> list[Escalation]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Escalation).where(Escalation.openid == openid)
                                          .order_by(Escalation.id)))


async def test_subscribe_welcomes_and_invites_to_bind(owner: Owner) -> None:
    reply = await owner.event("subscribe")  # the demo account has two communities: the welcome names neither
    assert "绑定房屋" in reply and "阳光花园" not in reply and "翠湖苑" not in reply
    await owner.bind_demo_flat()
    assert "欢迎回来" in await owner.event("subscribe")
    assert "欢迎回来" in await owner.event("SCAN", "qrscene_1")


async def test_unsubscribe_gets_no_reply_but_is_recorded(owner: Owner, bot, runtime) -> None:
    assert await owner.event("unsubscribe") == ""
    await bot.transcript.flush()
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(MessageLog).where(MessageLog.openid == owner.openid)))
    assert [(r.direction, r.msg_type) for r in rows] == [("in", "event")]


async def test_menu_clicks_start_dialogs_and_more_shows_help(owner: Owner) -> None:
    assert "请选择您的小区" in await owner.event("CLICK", "BIND")
    assert "我可以帮您" in await owner.event("CLICK", "MORE")
    assert "我可以帮您" in await owner.event("CLICK", "HELP")
    assert "还没有绑定房屋" in await owner.event("CLICK", "MY_HOUSEHOLDS")
    assert "请直接输入您的问题" in await owner.event("CLICK", "FAQ")


async def test_view_and_location_events_get_an_empty_reply(owner: Owner) -> None:
    assert await owner.event("VIEW", "https://example.org") == ""
    assert await owner.event("LOCATION") == ""


@pytest.mark.parametrize("word", ["缴费", "交物业费", "交费"])
async def test_paying_starts_the_pay_dialog_which_asks_an_unbound_owner_to_bind(owner: Owner, runtime,
                                                                                word: str) -> None:
    assert "缴费需要先绑定房屋" in await owner.say(word)  # the dialog itself: tests/bot/dialogs/test_pay.py
    assert await escalations_of(runtime, owner.openid) == []


async def test_pay_and_visitor_menu_clicks_start_their_dialogs(owner: Owner, runtime) -> None:
    assert "缴费需要先绑定房屋" in await owner.event("CLICK", "PAY")
    assert "访客登记" in await owner.event("CLICK", "VISITOR")  # an unbound owner is invited to bind first
    assert await escalations_of(runtime, owner.openid) == []


@pytest.mark.parametrize("word", ["转人工", "人工", "人工客服"])
async def test_asking_for_a_person_opens_an_escalation(owner: Owner, runtime, word: str) -> None:
    reply = await owner.say(word)
    [escalation] = await escalations_of(runtime, owner.openid)
    assert escalation.reason == "asked_for_person" and escalation.number.startswith("RG-")
    assert escalation.number in reply


async def test_a_faq_answer_asks_for_feedback_and_unhelpful_escalates(runtime) -> None:
    assistant = TinyAssistant(answers={"物业费怎么交？": Answer("answer", "可以到物业前台缴纳。「依据：缴费指南」",
                                                           entry_id="e1")})
    bot = make_bot(runtime, assistant=assistant)
    owner = Owner(bot)
    reply = await owner.say("物业费怎么交？")
    assert "物业前台" in reply and "有帮助吗" in reply and "1. 有帮助" in reply and "2. 没帮助" in reply
    assert await owner.say("1") == "谢谢您的反馈！"
    await owner.say("物业费怎么交？")
    reply = await owner.say("2")
    assert "抱歉没帮上忙" in reply and "要转人工客服吗" in reply and "RG-" not in reply
    assert "RG-" in await owner.say("1")
    [escalation] = await escalations_of(runtime, owner.openid)
    assert escalation.reason == "unhelpful_answer" and "物业费怎么交" in escalation.question
    await bot.transcript.stop()


async def test_faq_choices_are_numbered_and_a_number_answers(runtime) -> None:
    assistant = TinyAssistant(
        answers={"快递": Answer("choices", choices=[("快递放哪里？", "k1"), ("快递柜怎么用？", "k2")])},
        entries={"k2": Answer("answer", "快递柜在北门。", entry_id="k2")})
    bot = make_bot(runtime, assistant=assistant)
    owner = Owner(bot)
    reply = await owner.say("快递")
    assert "1. 快递放哪里？" in reply and "2. 快递柜怎么用？" in reply
    reply = await owner.say("２")
    assert "快递柜在北门" in reply and "有帮助吗" in reply
    await bot.transcript.stop()


async def test_unknown_offers_a_person_and_yes_escalates(owner: Owner, runtime) -> None:
    assert "要转人工客服吗" in await owner.say("小区游泳池几点开门")
    assert "RG-" in await owner.say("1")
    [escalation] = await escalations_of(runtime, owner.openid)
    assert escalation.reason == "low_confidence"


async def test_declining_the_offer_is_respected(owner: Owner, runtime) -> None:
    await owner.say("小区游泳池几点开门")
    assert "还有什么可以帮您" in await owner.say("2")
    assert await escalations_of(runtime, owner.openid) == []


async def test_unknowns_in_a_row_never_hand_over_without_asking(owner: Owner, runtime) -> None:
    await owner.say("小区游泳池几点开门")
    reply = await owner.say("那健身房呢")
    assert "RG-" not in reply and "要转人工客服吗" in reply
    assert await escalations_of(runtime, owner.openid) == []


async def test_a_person_is_never_offered_while_one_is_on_the_way(owner: Owner, runtime) -> None:
    opened = await owner.say("转人工")
    assert "RG-" in opened and "分钟内" in opened or "上班后" in opened  # who answers and by when
    reply = await owner.say("小区游泳池几点开门")
    assert "要转人工客服吗" not in reply and "在等人工客服" in reply
    assert len(await escalations_of(runtime, owner.openid)) == 1


async def test_intent_routing_starts_a_dialog_with_validated_slots(runtime) -> None:
    assistant = TinyAssistant(routes={"我想绑一下我家房子": Guess("bind", 0.9, {"community": "翠湖苑",
                                                                           "building": "99栋"})})
    bot = make_bot(runtime, assistant=assistant)
    owner = Owner(bot)
    reply = await owner.say("我想绑一下我家房子")
    assert "请选择楼栋" in reply and "2. 2栋" in reply and "3栋" not in reply  # 翠湖苑 has 2 buildings; 99栋 dropped
    names = {getattr(spec, "name", None) or spec["name"] for spec in assistant.intents_seen}
    assert {"bind", "my_households", "help", "pay", "visitor", "handover"} <= names
    await bot.transcript.stop()


async def test_low_confidence_routing_falls_back_to_the_faq_answer(runtime) -> None:
    assistant = TinyAssistant(routes={"绑定要带什么": Guess("bind", 0.4)},
                              answers={"绑定要带什么": Answer("answer", "只要姓名和手机尾号。", entry_id="b")})
    bot = make_bot(runtime, assistant=assistant)
    assert "只要姓名和手机尾号" in await Owner(bot).say("绑定要带什么")
    await bot.transcript.stop()


async def test_without_an_assistant_the_bot_offers_a_person(runtime) -> None:
    bot = make_bot(runtime, assistant=None)
    owner = Owner(bot)
    assert "要转人工客服吗" in await owner.say("停车费多少钱")
    assert "RG-" in await owner.say("是")
    await bot.transcript.stop()


async def test_a_5000_character_message_gets_a_polite_answer_and_is_truncated(owner: Owner, bot, assistant,
                                                                              runtime) -> None:
    reply = await owner.say("漏" * 5000)
    assert reply.startswith("（您的消息比较长") and "转人工" in reply
    assert len(assistant.asked[0]) <= 500
    await bot.transcript.flush()
    async with runtime.sessions() as session:
        logged = await session.scalar(select(MessageLog).where(MessageLog.direction == "in"))
    assert len(logged.content) <= 2000


@pytest.mark.parametrize(("text", "expected"), [("😀😀👍", "收到您的表情"), ("", "请问有什么可以帮您"),
                                                ("   ", "请问有什么可以帮您")])
async def test_emoji_only_and_empty_text_get_a_polite_answer(owner: Owner, text: str, expected: str) -> None:
    assert expected in await owner.say(text)


@pytest.mark.parametrize(("msg_type", "fields", "expected"), [
    ("image", {"pic_url": "http://x/1.jpg", "media_id": "m"}, "收到图片啦。如需报修，请先回复“报修”"),
    ("voice", {"media_id": "m"}, "语音没听清"),
    ("video", {"media_id": "m"}, "收到视频啦"),
    ("link", {"url": "http://example.org", "content": "好文章"}, "收到链接啦"),
])
async def test_unsupported_input_outside_a_dialog_gets_a_helpful_reply(owner: Owner, msg_type, fields,
                                                                       expected) -> None:
    assert expected in await owner.send(msg_type, **fields)


async def test_a_location_outside_a_dialog_gets_a_helpful_reply(owner: Owner) -> None:
    assert "收到位置啦" in await owner.location(31.22, 121.54)


async def test_a_voice_with_recognition_is_read_as_text(owner: Owner) -> None:
    assert "请选择您的小区" in await owner.send("voice", content="绑定房屋。", media_id="m")


async def test_a_state_store_outage_raises_for_the_edge_to_answer(runtime) -> None:
    runtime.state = RedisStateStore("redis://127.0.0.1:1/0")
    bot = make_bot(runtime)
    with pytest.raises(StateStoreUnavailable):
        await bot.respond(Inbound(openid="chat-x", msg_type="text", content="你好"))


async def test_a_mid_dialog_step_costs_one_state_read_one_write_and_no_database_query(owner: Owner, runtime) -> None:
    for line in ("绑定房屋", "1", "1", "1单元101"):
        await owner.say(line)
    queries: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        queries.append(statement)

    calls = record_state_calls(runtime.state)
    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert "后四位" in await owner.say("张伟")
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    assert queries == []
    assert calls == [f"get_many conv:{owner.openid} owner:{owner.openid}", f"set conv:{owner.openid}"]


def record_state_calls(state) -> list[str]:
    """Replace the store's methods by recording wrappers; returns the list they append to."""
    calls: list[str] = []

    def wrap(name: str):
        original = getattr(state, name)

        async def call(key, *args, **kwargs):
            calls.append(f"{name} {' '.join(key) if isinstance(key, list) else key}")
            return await original(key, *args, **kwargs)

        setattr(state, name, call)

    for name in ("get", "get_many", "set", "set_if_absent", "delete", "incr", "add_to_set", "in_set"):
        wrap(name)
    return calls


async def test_routing_on_postgres_and_redis_too(any_runtime) -> None:
    assistant = TinyAssistant(answers={"快递放哪？": Answer("answer", "快递放北门快递柜。")})
    bot = make_bot(any_runtime, assistant=assistant)
    owner = Owner(bot, "chat-router-any")
    try:
        assert "人工客服" in await owner.say("转人工")
        assert "有帮助吗" in await owner.say("快递放哪？")
        assert "抱歉没帮上忙" in await owner.say("2")
        assert await owner.event("unsubscribe") == ""
    finally:
        await bot.transcript.stop()
    reasons = [e.reason for e in await escalations_of(any_runtime, owner.openid)]
    assert reasons == ["asked_for_person"]  # the unhelpful answer joined the open escalation
    async with any_runtime.sessions() as session:
        logged = list(await session.scalars(select(MessageLog).where(MessageLog.openid == owner.openid)))
    assert len(logged) == 7  # 4 in, 3 out (unsubscribe gets no reply)
