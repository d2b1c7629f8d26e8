"""Issue #16, seventh round (from the blind holdout7 conversations): a thank-you at a step sets the dialog aside with
its draft, 好的转吧 to 有帮助吗 brings in a person, questions in more words are answered mid-dialog (at choice steps
too), someone shut in is an emergency, the garbage room and the steps at a unit door are public places, and
questions about city services or one neighbour are not answered with a near rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import texts
from bot.dialogs.emergency import is_emergency
from bot.dialogs.repair_extract import PUBLIC
from bot.dialogs.words import asks_something, normalize
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from workflows.escalations.models import Escalation
from workflows.repairs.intake import facility_of

WATER = "本周没有停水安排，有计划会提前三天发公告。"
GATE_RULE = "南门 24 小时开放，北门晚上 11 点关闭。"


async def escalations(runtime) -> list[Escalation]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Escalation)))


@pytest.fixture
def owner(runtime) -> Owner:
    assistant = TinyAssistant(
        answers={"哦对了 明天停不停水啊": Answer("answer", WATER), "绑定了有啥用": Answer("answer", WATER),
                 "水费标准是多少": Answer("answer", WATER, entry_id="1"),
                 "社区医院几点开门": Answer("answer", GATE_RULE), "那社区医院几点开门": Answer("answer", GATE_RULE),
                 "我家隔壁那户到底有没有人住啊": Answer("answer", GATE_RULE)},
        routes={"燃气灶点不着 报修": Guess("repair", 0.9)})
    return Owner(make_bot(runtime, assistant=assistant))


async def flow(owner: Owner) -> str | None:
    return (await owner.conversation()).get("dialog")


@pytest.mark.parametrize("thanks", ["谢谢小助手🙏", "嗯嗯 晓得了", "好的谢谢", "知道了 谢谢啊"])
async def test_a_thank_you_at_a_step_sets_the_report_aside_with_its_draft(owner: Owner, thanks: str):
    await owner.bind_demo_flat()
    assert "照片" in await owner.say("我要报修 家里燃气灶点不着 没闻到味道")
    reply = await owner.say(thanks)
    assert "不客气" in reply and "报修" in reply and "留着" in reply
    assert await flow(owner) is None
    again = await owner.say("报修")  # within ten minutes: the same draft, at the same step
    assert "接着" in again and "照片" in again
    assert "燃气灶点不着" in (await owner.conversation())["values"]["description"]


@pytest.mark.parametrize("thanks", ["好嘞", "行 明白了"])
async def test_a_thank_you_to_a_list_leaves_it_kindly(owner: Owner, thanks: str):
    await owner.bind_demo_flat()
    assert "投诉哪方面" in await owner.say("投诉")
    assert await flow(owner) == "complaint"
    reply = await owner.say(thanks)
    assert "不客气" in reply and "请回复前面的序号" not in reply
    assert await flow(owner) is None


async def test_a_yes_that_names_a_choice_is_still_the_answer(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("我要报修 家里燃气灶点不着 没闻到味道")
    await owner.say("没照片")
    assert await flow(owner) == "repair"  # a skip is no thank-you


@pytest.mark.parametrize("words", ["好的转吧", "那转吧", "转一下吧"])
async def test_asking_for_a_person_at_the_feedback_question_brings_one_in(owner: Owner, runtime, words: str):
    await owner.bind_demo_flat()
    assert "有帮助吗" in await owner.say("水费标准是多少")
    reply = await owner.say(words)
    assert "谢谢您的反馈" not in reply
    assert len(await escalations(runtime)) == 1


@pytest.mark.parametrize("text", [
    "你们打个电话给我吧 打字太累", "我说不清楚 你让人打我电话吧", "叫你们经理出来 我说了三遍了电梯还是坏的",
    "好的转吧", "让个人给我回电话", "叫你们领导过来跟我说"])
def test_more_ways_of_asking_for_a_person(text: str):
    assert texts.HANDOVER_PHRASE.search(normalize(text))


@pytest.mark.parametrize("text", ["转账怎么弄", "转角那个路灯坏了", "我想问问转让车位的手续"])
def test_a_word_with_zhuan_is_no_request_for_a_person(text: str):
    assert not texts.HANDOVER_PHRASE.search(normalize(text))


async def test_a_question_at_the_photos_step_in_more_words_is_answered(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("我要报修 家里燃气灶点不着 没闻到味道")
    reply = await owner.say("哦对了 明天停不停水啊")
    assert WATER in reply and "照片" in reply
    assert "停不停水" not in (await owner.conversation())["values"]["description"]


async def test_a_question_at_a_choice_step_is_answered_and_the_step_asked_again(owner: Owner):
    await owner.say("绑定房屋")
    reply = await owner.say("绑定了有啥用")
    assert WATER in reply and "请回复前面的序号" not in reply
    assert await flow(owner) == "bind"


@pytest.mark.parametrize(("text", "asks"), [
    ("报修一般多久能来修啊", True), ("你先说说你们都能修啥", True), ("收不收钱 修个水龙头", True),
    ("楼下老李说报修得打电话 真的假的", True), ("厨房灯一闪一闪的", False), ("卫生间漏水 地上都湿了", False),
    ("亮一会儿灭一会儿", False)])
def test_the_words_that_ask_at_a_description_step(text: str, asks: bool):
    assert asks_something(text, strong=True) is asks


@pytest.mark.parametrize("text", ["有人被关在里头了 隔壁家小孩 在里面哭", "3号楼电梯有人被关在里面了",
                                  "我妈被关在电梯里了"])
def test_someone_shut_in_is_an_emergency(text: str):
    assert is_emergency(normalize(text))


@pytest.mark.parametrize(("text", "facility"), [
    ("垃圾房门关不住了", "垃圾站"), ("4幢二单元门前台阶坏了", "台阶"), ("4号楼2单元门口的台阶砖松了", "台阶"),
    ("２号楼一单元楼下大门关不上", "单元门")])
def test_public_places_named_in_other_words(text: str, facility: str):
    assert PUBLIC.search(normalize(text))
    assert facility_of(text) == facility


@pytest.mark.parametrize("text", ["哦哦 好的👌", "行 知道了 别发了", "算了不问了 别发了", "好的✌️"])
def test_an_ok_with_an_emoji_or_a_stop_is_small_talk(text: str):
    assert small_talk_reply(text) is not None


async def test_a_city_service_is_not_answered_with_a_near_rule(owner: Owner):
    await owner.bind_demo_flat()
    reply = await owner.say("社区医院几点开门")
    assert GATE_RULE not in reply and "人工" in reply


async def test_a_question_about_one_neighbour_gets_the_rules_and_a_person(owner: Owner):
    await owner.bind_demo_flat()
    reply = await owner.say("我家隔壁那户到底有没有人住啊")
    assert await flow(owner) != "complaint"
    assert "人工" in reply
