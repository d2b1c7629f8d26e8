"""Issue #16, eighth round (from the blind holdout8 and holdout9 conversations): a neighbour's report of the same
corridor light, pipe or charging post in other words is offered the open ticket, and the owner's own words at that
offer are understood; a visit "下午都行" is the afternoon; "滴了一晚上" is no visit time; a phone remark at the
photos step moves on; danger from people gets 110; an unanswered question during an emergency gets the phone; what
the owner will do next is small talk; asking to rate starts the rating."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot import texts
from bot.dialogs.emergency import is_danger, is_emergency
from bot.dialogs.repair_extract import category_of, public_place
from bot.dialogs.when import parse_window
from bot.dialogs.words import asks_something
from knowledge.intents import IntentSpec, extract_slots
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from tests.bot.test_owners_understood import neighbour_in_3
from tests.bot.test_owners_understood_fourth import escalations
from workflows.clock import SHANGHAI
from workflows.repairs.intake import facilities_of, facility_of
from workflows.repairs.models import RepairTicket
from workflows.text import comparable

FIRSTS = ("3号楼1单元楼道灯不亮了", "6号楼2单元5楼楼道灯不亮", "2号楼1单元地下室那根水管在漏水",
          "5号楼旁边充电桩有两个插口坏了", "3号楼2单元电梯里面的灯一闪一闪")
SECONDS = ("3号楼一单元五楼的声控灯坏了", "六栋二单元五层的灯坏了", "2栋1单元负一楼管子漏水了",
           "5幢边上电瓶车充电的地方坏了", "3栋2单元电体里的灯坏了")
FAULTS = ("正门那个栏杆怎么一直不抬 我车进不来", "地库的栏杆是不是坏了 我开车出不去", "三号楼电梯响声好大 是不是要出事")


@pytest.fixture
def routed(runtime):
    """Routing reads these as 报修 (routing itself: tests/knowledge/test_intents.py); here, what the dialog does."""
    routes = {text: Guess("repair", 0.9) for text in (*FIRSTS, *SECONDS, *FAULTS, "1号楼2单元电梯显示屏不亮了",
                                                      "一栋二单元电梯屏幕黑了", "我家厨房水龙头漏水 滴了一晚上",
                                                      "小区大门的道闸坏了 杆子抬不起来")}
    return Owner(make_bot(runtime, assistant=TinyAssistant(routes=routes)))


@pytest.fixture
def routed_more(runtime):
    """Routing reads these as 报修 (tests/knowledge/test_intents.py has the routing itself)."""
    routes = {text: Guess("repair", 0.9) for text in (
        "6号楼门口的排水沟堵了 下雨全是积水 能淹到脚踝 报修",
        "中心花园儿童乐园的围栏断了一根 我家宝宝差点钻出去 报个修",
        "报修 家里 门窗 防盗门关不严", "6号楼门禁对讲坏了 快递按我家门铃家里听不到",
        "地下车库入口那个卷帘门坏了 卡在一半")}
    return Owner(make_bot(runtime, assistant=TinyAssistant(routes=routes)))


async def flow(owner: Owner) -> str | None:
    return (await owner.conversation()).get("dialog")


async def tickets(runtime) -> list[RepairTicket]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(RepairTicket)))


# --- duplicates: the same facility in other words -----------------------------------------------------------------
@pytest.mark.parametrize(("first", "second"), list(zip(FIRSTS, SECONDS, strict=True)))
async def test_a_neighbour_naming_the_same_facility_otherwise_is_offered_the_open_ticket(runtime, routed: Owner,
                                                                                       first: str, second: str):
    await routed.bind_demo_flat()
    for line in (first, "没照片", "1"):
        await routed.say(line)
    [ticket] = await tickets(runtime)
    neighbour = await neighbour_in_3(routed.bot, runtime)
    reply = await neighbour.say(second)
    assert ticket.number in reply and "跟进" in reply


def test_a_corridor_light_floor_pipe_and_charging_post_are_facilities():
    assert facility_of("六栋二单元五层的灯坏了") == "楼道灯"
    assert "水管" in facilities_of("负一楼管子漏水了") and "地下室" in facilities_of("负一楼管子漏水了")
    assert facility_of("5幢边上电瓶车充电的地方坏了") == facility_of("5号楼旁边充电桩坏了") == "充电桩"
    assert facility_of("3号楼电梯坏了") != facility_of("3号楼充电桩坏了")  # still told apart
    assert public_place("5号楼旁边充电桩有两个插口坏了").startswith("5号楼")


@pytest.mark.parametrize(("typed", "meant"), [("电悌门关不上", "电梯门关不上"), ("电体里的灯坏了", "电梯里的灯坏了")])
def test_pinyin_slips_of_elevator_read_as_elevator(typed: str, meant: str):
    assert comparable(typed) == meant
    assert len(comparable(typed)) == len(typed)  # a position in one is a position in the other


@pytest.mark.parametrize(("words", "follows"), [("那算了 有人报了就行", True), ("跟进那个就行", True),
                                                ("不是一回事 我说的是按键掉了 还是单独报一个吧", False),
                                                ("两码事 再报一个", False)])
async def test_the_owner_s_own_words_at_the_open_ticket_offer(runtime, routed: Owner, words: str, follows: bool):
    await routed.bind_demo_flat()
    for line in ("1号楼2单元电梯显示屏不亮了", "没照片", "1"):
        await routed.say(line)
    neighbour = await neighbour_in_3(routed.bot, runtime)
    assert "跟进" in await neighbour.say("一栋二单元电梯屏幕黑了")
    reply = await neighbour.say(words)
    assert "请回复前面的序号" not in reply and "这个问题我先记下" not in reply
    if follows:
        assert "已为您跟进" in reply and await flow(neighbour) is None
    else:
        assert await flow(neighbour) == "repair" and "照片" in reply


async def test_a_fault_said_as_a_question_is_still_a_report(routed: Owner):
    await routed.bind_demo_flat()
    for text in FAULTS:
        reply = await routed.say(text)
        assert await flow(routed) == "repair", text
        assert "不太清楚" not in reply
        await routed.say("取消")


# --- inside the report --------------------------------------------------------------------------------------------
def test_an_afternoon_any_day_is_the_afternoon_and_anytime_is_anytime():
    now = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    afternoon = parse_window("下午都行", now=now)
    assert afternoon.start is not None and afternoon.start.hour == 14
    assert parse_window("随时都行", now=now).start is None
    whole_day = parse_window("明天都可以", now=now)
    assert whole_day.start is not None and whole_day.start.day == 9


def test_how_long_is_no_visit_time():
    spec = IntentSpec(name="repair", description="报修", slots=[("when", "上门时间")])
    assert extract_slots("我家厨房水龙头漏水 滴了一晚上", spec) == {}
    assert extract_slots("水龙头漏水 晚上来吧", spec) == {"when": "晚上"}


async def test_a_leak_all_night_asks_when_to_come(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("我家厨房水龙头漏水 滴了一晚上")
    assert "什么时候上门" in await routed.say("没有照片")


@pytest.mark.parametrize("words", ["对的没问题 就这样", "没问题", "没错 提交吧"])
async def test_a_yes_in_the_owner_s_words_submits(routed: Owner, runtime, words: str):
    await routed.bind_demo_flat()
    for line in ("报修", "家里", "门窗", "卧室门把手掉了", "没照片", "下午都行"):
        summary = await routed.say(line)
    assert "14:00" in summary
    assert "已提交报修" in await routed.say(words)
    assert len(await tickets(runtime)) == 1


@pytest.mark.parametrize("words", ["电话用这个", "来不及拍", "顾不上拍了"])
async def test_a_phone_remark_or_no_time_to_take_photos_moves_on(routed: Owner, words: str):
    await routed.bind_demo_flat()
    assert "照片" in await routed.say("小区大门的道闸坏了 杆子抬不起来")
    reply = await routed.say(words)
    assert "请确认报修信息" in reply
    assert words not in (await routed.conversation())["values"]["description"]


async def test_asking_to_report_again_at_the_description_step_is_no_description(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "家里", "水电"):
        await routed.say(line)
    reply = await routed.say("我要报修")
    assert "哪里坏了" in reply and "description" not in (await routed.conversation())["values"]


async def test_a_heating_fault_at_the_category_step_fills_category_and_description(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "家里"):
        await routed.say(line)
    reply = await routed.say("她说是卧室暖气片不热 摸着冰凉的 客厅的还行")
    values = (await routed.conversation())["values"]
    assert values["category"] == "水电" and "暖气片" in values["description"] and "照片" in reply
    assert category_of("报修 家里暖气", ["水电", "门窗", "其他"]) == "水电"


async def test_a_mistake_about_home_or_public_is_corrected(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "公共区域"):
        await routed.say(line)
    reply = await routed.say("哎呀我搞错了 不是公共的 是我自己家里的")
    assert "哪一类" in reply and "哪栋楼" not in reply
    assert not (await routed.conversation())["values"]["where"].get("public")


@pytest.mark.parametrize(("text", "asks"), [("暖气是几号开始供的来着", True), ("3号楼", False), ("2单元", False)])
def test_more_questions_at_a_choice_step(text: str, asks: bool):
    assert asks_something(text) is asks


@pytest.mark.parametrize(("text", "asks"), [("师傅上门要收上门费不", True), ("交了钱吗", True),
                                            ("道闸不抬杆 车出不去", False)])
def test_a_fee_question_at_the_description_step_asks(text: str, asks: bool):
    assert asks_something(text, strong=True) is asks


# --- danger, and questions during an emergency --------------------------------------------------------------------
@pytest.mark.parametrize(("text", "danger"), [("车库有人打架 还拿着刀 吓死人了", True), ("楼下有人在撬门", True),
                                              ("刀口那个位置漏水", False), ("打架子鼓太吵了", False)])
def test_danger_from_people_is_told_apart(text: str, danger: bool):
    assert is_danger(text) is danger
    assert not is_emergency("车库有人打架")  # no repair emergency: the police, not a plumber


async def test_danger_gets_110_and_a_person(owner: Owner, runtime):
    await owner.bind_demo_flat()
    reply = await owner.say("楼下有人打起来了 还拿着刀")
    assert "110" in reply and "已为您转人工" in reply
    assert len(await escalations(runtime)) == 1


async def test_danger_told_in_a_complaint_gets_110_and_the_complaint_goes_on(owner: Owner):
    await owner.bind_demo_flat()
    for line in ("投诉", "安全"):
        await owner.say(line)
    reply = await owner.say("车库有人打架 还拿着刀 吓死人了")
    assert "110" in reply and await flow(owner) == "complaint"
    assert "打架" in (await owner.conversation())["values"]["description"]


async def test_a_question_nobody_can_answer_during_an_emergency_gets_the_phone(owner: Owner):
    await owner.bind_demo_flat()
    assert "紧急" in await owner.say("家里卫生间水管爆了 水喷的到处都是 快来人啊")
    reply = await owner.say("总阀在哪我找不着")
    assert "物业电话" in reply and "稍后" not in reply and await flow(owner) == "repair"


# --- small talk, the offer of a person, rating --------------------------------------------------------------------
@pytest.mark.parametrize("text", ["行 我试试", "那我先接点水存着", "哦 那我下午过去", "好 我先去看看"])
def test_what_the_owner_will_do_next_is_small_talk(text: str):
    assert small_talk_reply(text) is not None


@pytest.mark.parametrize("text", ["明天下午", "下午三点", "我家", "我要报修", "我去物业交钱"])
def test_times_places_and_requests_are_no_small_talk(text: str):
    assert small_talk_reply(text) is None


async def test_i_will_try_myself_declines_the_person(runtime):
    owner = Owner(make_bot(runtime, assistant=TinyAssistant()))
    await owner.bind_demo_flat()
    assert texts.OFFER_PERSON in await owner.say("小区里能养几只狗")
    await owner.say("行 我试试")
    assert await escalations(runtime) == []


@pytest.mark.parametrize("text", ["上回修水管的师傅挺好 给个满意", "我要给上次修水管的评价一下 挺满意的"])
async def test_asking_to_rate_starts_the_rating(owner: Owner, text: str):
    await owner.bind_demo_flat()
    reply = await owner.say(text)
    assert await flow(owner) == "rate_repair" and "单号" in reply and "这个指令" not in reply


# --- holdout10's round ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["6号楼门口的排水沟堵了 下雨全是积水 能淹到脚踝 报修",
                                  "中心花园儿童乐园的围栏断了一根 我家宝宝差点钻出去 报个修"])
async def test_a_drain_or_a_fence_is_a_public_place_that_needs_no_more_questions(routed_more: Owner, text: str):
    await routed_more.bind_demo_flat()
    reply = await routed_more.say(text)
    assert "照片" in reply and "哪里" not in reply and "哪一类" not in reply


@pytest.mark.parametrize(("text", "public"), [("报修 家里 门窗 防盗门关不严", False),
                                              ("6号楼门禁对讲坏了 快递按我家门铃家里听不到", True)])
async def test_home_or_public_as_the_owner_says_it(routed_more: Owner, text: str, public: bool):
    await routed_more.bind_demo_flat()
    await routed_more.say(text)
    assert bool((await routed_more.conversation())["values"]["where"].get("public")) is public


def test_a_category_the_owner_names_wins_over_the_facility_s():
    names = ["水电", "门窗", "电梯", "公共设施", "其他"]
    assert category_of("6号楼2单元电梯口的地砖翘起来了 绊倒好几个人了 报修公共设施", names) == "公共设施"
    assert category_of("3号楼电梯坏了", names) == "电梯"


async def test_a_place_said_in_a_sentence_is_no_description(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("报修")
    await owner.say("是我自己家里的")
    await owner.say("卫生间洗手池下面的水管接口漏水 下面柜子都泡了")
    assert "接口漏水" in (await owner.conversation())["values"]["description"]


@pytest.mark.parametrize("text", ["电梯困人的话该打哪个电话 我先存一下 以防万一", "万一着火了怎么跑"])
async def test_an_emergency_asked_about_ahead_of_time_starts_no_report(owner: Owner, text: str):
    await owner.bind_demo_flat()
    await owner.say(text)
    assert await flow(owner) != "repair"


async def test_trapped_in_the_lift_in_other_words_is_an_emergency(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("报修")
    await owner.say("公共区域")
    assert "紧急" in await owner.say("有人困电梯里了 1号楼 快快快")


@pytest.mark.parametrize("words", ["照片等会再说 先不发", "用这个电话"])
async def test_photos_later_or_the_phone_first_skips_the_photos(routed_more: Owner, words: str):
    await routed_more.bind_demo_flat()
    await routed_more.say("地下车库入口那个卷帘门坏了 卡在一半")
    assert "请确认报修信息" in await routed_more.say(words)


async def test_a_staff_member_shouting_is_a_service_complaint(owner: Owner):
    await owner.bind_demo_flat()
    await owner.say("投诉")
    await owner.say("对啊就是投诉 那个保安冲我妈吼 老太太都吓哭了")
    assert (await owner.conversation())["values"]["category"] == "服务态度"


async def test_a_choice_corrected_later_is_changed(owner: Owner):
    await owner.bind_demo_flat()
    for line in ("报修", "家里", "其他"):
        await owner.say(line)
    assert "改过来" in await owner.say("刚才选错了 应该是水电")
    assert (await owner.conversation())["values"]["category"] == "水电"


@pytest.mark.parametrize("text", ["你们的人说今天上午来修 到现在也没影 我要找你们负责人",
                                  "喂喂你能听见吗我说我要找你们物业的人电话一直打不通你让人给我回个电话号码就是我绑定的这个"])
async def test_a_person_asked_for_plainly_in_a_long_message_is_brought_in(owner: Owner, runtime, text: str):
    await owner.bind_demo_flat()
    assert "已为您转人工" in await owner.say(text)
    assert len(await escalations(runtime)) == 1


async def test_venting_is_offered_a_person_not_handed_over(owner: Owner, runtime):
    await owner.bind_demo_flat()
    assert texts.OFFER_PERSON in await owner.say("你这啥也不懂 气死我了")
    assert await escalations(runtime) == []


@pytest.mark.parametrize("text", ["早上好啊 吃了没", "下午好", "好 谢谢你闺女"])
def test_a_neighbourly_hello_is_small_talk(text: str):
    assert small_talk_reply(text) is not None


@pytest.mark.parametrize("words", ["算了 不用转", "不用转了"])
async def test_no_need_to_transfer_is_a_no(owner: Owner, runtime, words: str):
    await owner.bind_demo_flat()
    reply = await owner.say(words)
    assert texts.OFFER_PERSON not in reply and await escalations(runtime) == []


@pytest.mark.parametrize(("text", "asks"), [("这电梯是哪家公司维保的啊 老出问题", True),
                                            ("狗不拴绳罚不罚款 小区有规定没", True)])
def test_which_company_or_a_fine_asks_even_at_a_description_step(text: str, asks: bool):
    assert asks_something(text, strong=True) is asks


def test_a_fence_is_one_facility_in_its_words_and_a_handrail_is_a_public_fixture():
    assert facility_of("3号楼西边的围栏倒了一片") == facility_of("三号楼旁边的铁栅栏倒了") == "围栏"
    assert category_of("4号楼1单元一楼楼梯扶手松了 晃得厉害", ["水电", "门窗", "公共设施", "其他"]) == "公共设施"


@pytest.mark.parametrize("text", ["我家房产证办下来没有 开发商说交给物业了", "那咱小区啥时候换物业公司"])
async def test_the_developer_s_certificate_or_a_new_property_company_gets_the_honest_not_sure(runtime, text: str):
    answer = Answer("answer", "开工前请带房产证复印件到物业服务中心办装修登记。")  # the near entry an index would find
    owner = Owner(make_bot(runtime, assistant=TinyAssistant(answers={text: answer})))
    await owner.bind_demo_flat()
    reply = await owner.say(text)
    assert "装修登记" not in reply and texts.OFFER_PERSON in reply


async def test_an_emergency_happening_to_the_owner_is_still_one(owner: Owner):
    await owner.bind_demo_flat()
    assert "紧急" in await owner.say("我遇到电梯困人了 快来 3号楼")


async def test_i_will_ask_someone_else_to_was_it_helpful_is_no_request_for_a_person(owner: Owner, runtime):
    await owner.bind_demo_flat()
    assert small_talk_reply("行 我回头问问楼长") is not None
    await owner.say("行 我回头问问楼长")
    assert await escalations(runtime) == []
