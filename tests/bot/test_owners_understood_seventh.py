"""Issue #16, seventh round (from the blind holdout7 conversations): a thank-you at a step sets the dialog aside with
its draft, 好的转吧 to 有帮助吗 brings in a person, questions in more words are answered mid-dialog (at choice steps
too), someone shut in is an emergency, the garbage room and the steps at a unit door are public places, and
questions about city services or one neighbour are not answered with a near rule."""

from __future__ import annotations

import pytest

from bot import texts
from bot.commands import command_for
from bot.dialogs.complaint import category_of as complaint_category
from bot.dialogs.emergency import is_emergency
from bot.dialogs.repair_extract import PUBLIC, description_of, public_place
from bot.dialogs.when import only_a_time
from bot.dialogs.words import asks_something, normalize
from bot.registry import default_registry
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from tests.bot.test_owners_understood_fourth import escalations
from workflows.repairs.intake import facility_of

WATER = "本周没有停水安排，有计划会提前三天发公告。"
GATE_RULE = "南门 24 小时开放，北门晚上 11 点关闭。"


@pytest.fixture
def owner(runtime) -> Owner:
    assistant = TinyAssistant(
        answers={"哦对了 明天停不停水啊": Answer("answer", WATER), "绑定了有啥用": Answer("answer", WATER),
                 "水费标准是多少": Answer("answer", WATER, entry_id="1"),
                 "社区医院几点开门": Answer("answer", GATE_RULE), "那社区医院几点开门": Answer("answer", GATE_RULE),
                 "我家隔壁那户到底有没有人住啊": Answer("answer", GATE_RULE)},
        routes={"燃气灶点不着 报修": Guess("repair", 0.9)}
        | {text: Guess("repair", 0.9) for text in ("电梯坏了", "电梯又不动了 里面没人", "小区大门的道闸坏了 抬不起来")})
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


@pytest.mark.parametrize(("text", "description"), [
    ("你好 想报个修", ""), ("报修 地下车库", ""), ("我要报修 家里的 燃气方面", ""), ("麻烦报个修", ""),
    ("我想报修 家里厨房水管漏了", "家里厨房水管漏了")])
def test_greetings_places_and_category_words_are_no_description(text: str, description: str):
    assert description_of(text) == description


@pytest.mark.parametrize(("text", "place"), [
    ("２号楼一单元楼下大门关不上", "2号楼1单元楼下大门"), ("5栋1单元的大门锁坏了", "5号楼1单元的大门"),
    ("4幢二单元门前台阶坏了", "4号楼2单元门前台阶"), ("三栋一单元的大铁门关不严", "3号楼1单元大铁门")])
def test_the_place_shown_reads_as_the_owner_meant_it(text: str, place: str):
    assert public_place(text) == place
    assert facility_of(public_place(text)) != "大门"  # a unit's door is not the community's gate


@pytest.mark.parametrize(("text", "alone"), [("明天上午", True), ("下午三点以后都在家", True), ("周六上午吧", True),
                                             ("晚上灯不亮", False), ("今天下午水管爆了", False)])
def test_a_time_alone_is_told_apart_from_a_description(text: str, alone: bool):
    assert only_a_time(text) is alone


async def test_a_time_at_the_description_step_is_not_stored_as_the_problem(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("报修")
    await owner.say("家里")
    await owner.say("其他")
    reply = await owner.say("明天上午")
    assert "上门时间稍后会问" in reply
    assert (await owner.conversation())["values"].get("description") is None


@pytest.mark.parametrize("words", ["你等会 我家到底是哪个单元来着", "等一下 我去看看", "稍等"])
async def test_a_moment_asked_for_stores_nothing(owner: Owner, words: str):
    await owner.bind_demo_flat()
    await owner.say("报修 家里的水电")
    reply = await owner.say(words)
    assert "不着急" in reply
    assert (await owner.conversation())["values"].get("description") is None


async def test_a_follow_on_question_is_read_with_the_one_it_follows(runtime):
    assistant = TinyAssistant(answers={"物业费能去哪交": Answer("answer", "到物业服务中心前台交。"),
                                       "物业费能去哪交 那手机上能交不": Answer("answer", "公众号里也能交。")})
    owner = Owner(make_bot(runtime, assistant=assistant))
    await owner.bind_demo_flat()
    await owner.say("物业费能去哪交")
    assert "公众号里也能交" in await owner.say("那手机上能交不")
    assert "不太清楚" in await owner.say("那停车费呢")  # unknown alone and together: the honest "not sure"
    assert assistant.asked[-2:] == ["那停车费呢", "物业费能去哪交 那停车费呢"]


@pytest.mark.parametrize(("text", "dialog"), [
    ("我的房屋漏水了 厨房那里一直滴", None),  # what follows 我的房屋 is a repair: routing decides
    ("我的房子 厨房那里一直漏水", None), ("报修 门口投诉箱坏了", "repair"), ("投诉 楼上装修太吵", "complaint"),
    ("我的房屋 解绑", "my_households")])
def test_a_trigger_followed_by_another_dialog_s_words_is_no_command(text: str, dialog: str | None):
    command = command_for(default_registry(), text)
    assert (command.dialog.name if command else None) == dialog


@pytest.mark.parametrize("text", ["楼道里堆满了别人家的纸箱", "走廊堆了好多杂物 过不去"])
def test_things_piled_in_the_corridor_are_a_safety_complaint(text: str):
    assert complaint_category(text) == "安全隐患"


@pytest.mark.parametrize("text", ["就这事 没别的了", "没别的事了", "就这些"])
def test_that_is_all_is_small_talk(text: str):
    assert small_talk_reply(text) is not None


def test_the_garbage_room_in_other_words_is_one_facility():
    assert facility_of("3号楼垃圾间的门") == facility_of("三号楼垃圾房门锁") == "垃圾站"


async def test_a_new_appliance_s_warranty_is_not_answered_with_a_near_rule(runtime):
    assistant = TinyAssistant(answers={"新买的热水器保修找谁": Answer("answer", GATE_RULE)})
    owner = Owner(make_bot(runtime, assistant=assistant))
    await owner.bind_demo_flat()
    reply = await owner.say("新买的热水器保修找谁")
    assert GATE_RULE not in reply and "人工" in reply


@pytest.mark.parametrize("text", ["电梯坏了", "电梯又不动了 里面没人"])
async def test_an_elevator_without_a_building_asks_which_building_and_keeps_the_elevator(owner: Owner, text: str):
    await owner.bind_demo_flat()
    assert "哪栋楼" in await owner.say(text)
    await owner.say("1栋2单元")
    where = (await owner.conversation())["values"]["where"]
    assert where["text"] == "1号楼2单元电梯"


async def test_the_community_gate_needs_no_building(owner: Owner):
    await owner.bind_demo_flat()
    assert "哪栋楼" not in await owner.say("小区大门的道闸坏了 抬不起来")


@pytest.mark.parametrize("text", ["我家要报修", "我们家要报修"])
async def test_my_home_wants_a_repair_starts_it_at_home(owner: Owner, text: str):
    await owner.bind_demo_flat()
    reply = await owner.say(text)
    assert "您是要报修吗" not in reply and "家里，还是公共区域" not in reply
    assert (await owner.conversation())["values"]["where"]["public"] is False


@pytest.mark.parametrize("text", ["不是不是 按错了 我问下物业电话", "点错了 我想问物业电话"])
async def test_a_wrong_key_is_taken_back(owner: Owner, text: str):
    await owner.bind_demo_flat()
    assert "您是要报修吗" in await owner.say("我要包修")
    await owner.say(text)
    assert await flow(owner) not in ("repair", "complaint")


@pytest.mark.parametrize("text", ["照片等会发 先不发了", "回头再拍吧"])
def test_photos_later_is_a_skip(text: str):
    assert texts.is_skip(normalize(text))
