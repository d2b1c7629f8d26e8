"""Issue #16, ninth round (from the blind holdout11 conversations): a yes to the hand-over offer that goes on about
something else is that something else; an emergency at any step keeps what it says; an answer with an aside question
keeps the answer and answers the question; 没照片 before the photos step is noted; a visit time left to the tenant's
call; questions without question words (停车收费不, 发不发, 管不管修); 头诉; a lamp typed 等; the unit door called
楼下那个门; the housing market is outside our remit; thanks with a greeting is thanks."""

from __future__ import annotations

import pytest

from bot import texts
from bot.commands import command_for
from bot.dialogs.complaint import category_of as complaint_category
from bot.dialogs.emergency import is_emergency
from bot.dialogs.repair_extract import category_of, public_place
from bot.dialogs.words import asks_something
from bot.registry import default_registry
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from tests.bot.test_owners_understood import neighbour_in_3
from tests.bot.test_owners_understood_eighth import flow, tickets
from tests.bot.test_owners_understood_fourth import escalations
from workflows.repairs.intake import facility_of
from workflows.text import comparable

TAP = "那行 我家厨房水龙头一直滴水 就按这个报吧"
ASIDE = "就是那个厨房水龙头一直滴答滴答的关不死 对了我想问一下那个换水龙头的钱是我出还是你们出啊"
FEE = "那个换水龙头的钱是我出还是你们出啊"


@pytest.fixture
def assistant() -> TinyAssistant:
    return TinyAssistant(routes={TAP: Guess("repair", 0.9), "三号楼一单元楼下那个门锁不上了": Guess("repair", 0.9),
                                 "3幢一单元楼下那个门锁不上了": Guess("repair", 0.9),
                                 "我家卫生间下水道堵了 帮我报个修": Guess("repair", 0.9)},
                         answers={FEE: Answer(kind="answer", text="换零件按公示的价格收费。"),
                                  "二手房均价多少一平": Answer(kind="answer", text="物业费每平方米 2.2 元。")})


@pytest.fixture
def routed(runtime, assistant: TinyAssistant) -> Owner:
    return Owner(make_bot(runtime, assistant=assistant))


# --- the hand-over offer ---------------------------------------------------------------------------------------
async def test_a_yes_that_goes_on_about_a_repair_is_the_repair_not_a_person(routed: Owner, runtime):
    await routed.bind_demo_flat()
    assert "转人工" in await routed.say("小区有没有修鞋的")
    await routed.say(TAP)
    assert await flow(routed) == "repair" and not await escalations(runtime)


@pytest.mark.parametrize("words", ["哦那我自己打厂家电话问吧", "行 我自己去问问"])
async def test_seeing_to_it_oneself_declines_the_person(routed: Owner, runtime, words: str):
    await routed.bind_demo_flat()
    await routed.say("我家热水器还在保修期不")
    reply = await routed.say(words)
    assert not await escalations(runtime) and "RG-" not in reply


@pytest.mark.parametrize("words", ["好的 麻烦让人联系我", "行", "可以 转吧"])
async def test_a_plain_yes_or_one_about_a_person_hands_over(routed: Owner, runtime, words: str):
    await routed.bind_demo_flat()
    await routed.say("小区有没有修鞋的")
    assert "RG-" in await routed.say(words)
    assert len(await escalations(runtime)) == 1


@pytest.mark.parametrize("text", ["我想把房子挂出去卖 你知道咱们小区现在二手房均价多少一平吗", "二手房均价多少一平",
                                  "咱们小区房价现在多少"])
async def test_the_housing_market_is_not_answered_from_our_rules(routed: Owner, text: str):
    await routed.bind_demo_flat()
    reply = await routed.say(text)
    assert "2.2 元" not in reply and "转人工" in reply


@pytest.mark.parametrize("text", ["你们物业电话一直打不通 帮我转个人", "给我转个真人"])
async def test_asking_to_be_put_through_to_a_person(routed: Owner, runtime, text: str):
    assert "RG-" in await routed.say(text)


async def test_asking_for_the_service_desk_inside_a_complaint_hands_over(routed: Owner, runtime):
    await routed.bind_demo_flat()
    await routed.say("投诉")
    assert "RG-" in await routed.say("我要直接跟你们客服说 别让我填了")
    assert await flow(routed) is None


# --- leaving ---------------------------------------------------------------------------------------------------
async def test_not_binding_now_cancels_the_binding(routed: Owner):
    for line in ("绑定", "1"):
        await routed.say(line)
    assert "已取消" in await routed.say("不绑了 回头再说") and await flow(routed) is None


@pytest.mark.parametrize("text", ["嗯 先不报了 谢谢啊", "好 不修了", "先不投诉了"])
async def test_not_reporting_after_all_outside_a_dialog_starts_nothing(routed: Owner, text: str):
    await routed.bind_demo_flat()
    reply = await routed.say(text)
    assert reply == texts.HANDOVER_DECLINED and await flow(routed) is None


# --- emergencies at any step -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["快点快点 电梯里关人了 3号楼的 我婆婆在里面出不来",
                                  "喂喂我被关电梯里了三号楼一单元的电梯停在半截不动了", "电梯停了 我孙子在里头出不来"])
def test_someone_shut_in_a_lift_is_an_emergency(text: str):
    assert is_emergency(comparable(text).replace(" ", ""))


async def test_an_emergency_at_the_place_step_answers_it_and_keeps_the_place(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修")
    reply = await routed.say("快点快点 电梯里关人了 3号楼的 我婆婆在里面出不来")
    assert "情况紧急" in reply and "照片" in reply  # the place and the lift are known: on to the photos
    summary = await routed.say("跳过")  # public and urgent: no visit time; the phone is known
    assert "地点：3号楼电梯" in summary and "快点" not in summary.split("问题")[0]


def test_hurry_words_are_not_part_of_a_place():
    assert public_place("快点快点 电梯里关人了 3号楼的") == "3号楼电梯"
    assert public_place("赶紧的 中心花园路灯不亮") == "中心花园路灯"


# --- an answer and a question in one message --------------------------------------------------------------------
async def test_a_description_with_an_aside_question_keeps_both(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里水电")
    reply = await routed.say(ASIDE)
    assert "换零件按公示的价格收费" in reply and "照片" in reply
    assert (await routed.conversation())["values"]["description"] == "就是那个厨房水龙头一直滴答滴答的关不死"


async def test_a_place_with_an_aside_question_keeps_the_place(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里水电")
    reply = await routed.say("马桶水箱一直流水 顺便问一下 物业几点下班")
    assert "照片" in reply and "马桶水箱一直流水" in (await routed.conversation())["values"]["description"]


# --- photos said before they are asked; a visit arranged by phone -------------------------------------------------
@pytest.mark.parametrize("text", ["不传照片了", "没照片", "照片没有"])
def test_more_ways_to_say_no_photos(text: str):
    assert texts.is_skip(text)


async def test_no_photos_at_the_category_step_is_noted_and_not_asked_again(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里阳台有点问题")
    reply = await routed.say("没照片")
    assert reply.startswith(texts.NO_PHOTOS_NOTED) and "这一步不能跳过" not in reply and "哪一类" in reply
    await routed.say("1")
    assert "上门" in await routed.say("阳台的灯不亮了")  # the photos are not asked


async def test_a_visit_left_to_the_tenant_s_call_files_with_the_tenant_s_number(routed: Owner, runtime):
    await routed.bind_demo_flat()
    for line in ("我家卫生间下水道堵了 帮我报个修", "不用照片"):
        await routed.say(line)
    summary = await routed.say("时间你们直接跟租客约 他电话13912345678")
    assert "13912345678" in summary and "跟租客约" in summary and "这个问题" not in summary
    assert "BX-" in await routed.say("对 提交吧")
    ticket = (await tickets(runtime))[-1]
    assert ticket.contact_phone == "13912345678" and "跟租客约" in ticket.description


# --- questions without question words; commands -----------------------------------------------------------------
@pytest.mark.parametrize(("text", "asks"), [("物业办公室在几号楼啊", True), ("快递柜在几栋", True),
                                            ("3号楼2单元电梯坏了", False), ("楼上漏水到我家三天了", False)])
def test_where_something_is_asks_at_the_description_step(text: str, asks: bool):
    assert asks_something(text, strong=True) is asks


@pytest.mark.parametrize("text", ["访客的车进小区停车收费不 我儿子周末开车回来看我", "访客停车收不收费",
                                  "访客进门要不要登记"])
def test_a_question_about_visitors_is_no_visitor_command(text: str):
    assert command_for(default_registry(), text) is None


@pytest.mark.parametrize(("text", "meant"), [("头诉？", "complaint"), ("头述", "complaint"), ("头疼", None)])
def test_a_complaint_typed_with_tou_is_confirmed(text: str, meant: str | None):
    command = command_for(default_registry(), text)
    assert (command.dialog.name if command else None) == meant
    assert command is None or command.typo


@pytest.mark.parametrize(("text", "lamp"), [("六幢大厅的等坏了 黑的很", True), ("楼道等不亮了", True),
                                            ("我在等师傅", False), ("等一下", False), ("大厅的等候区", False)])
def test_a_lamp_typed_as_wait_is_read_as_a_lamp(text: str, lamp: bool):
    assert ("灯" in comparable(text)) is lamp and len(comparable(text)) == len(text)


@pytest.mark.parametrize("text", ["3幢一单元楼下那个门锁不上了", "3号楼1单元楼下的门关不上"])
def test_the_door_downstairs_in_a_unit_is_the_unit_door(text: str):
    assert facility_of(text) == "单元门" and public_place(text).startswith("3号楼1单元")


async def test_a_neighbour_calling_the_unit_door_the_door_downstairs_is_offered_the_ticket(routed: Owner, runtime):
    await routed.bind_demo_flat()
    for line in ("报修 3栋1单元单元门锁坏了 外人随便进", "没拍照 电话用这个号", "1"):
        await routed.say(line)
    neighbour = await neighbour_in_3(routed.bot, runtime)
    reply = await neighbour.say("3幢一单元楼下那个门锁不上了")
    assert "已经有人报修了" in reply and "外人随便进" not in reply
    assert "已为您跟进" in await neighbour.say("好的那我不重复报了")


# --- categories, small talk ---------------------------------------------------------------------------------------
def test_an_air_conditioner_is_water_and_power_and_flyposting_is_sanitation():
    assert category_of("家里空调外机响得厉害", ["水电", "门窗", "电梯", "公共设施", "其他"]) == "水电"
    assert complaint_category("楼道里到处贴小广告，写着“高价回收”，太难看了") == "环境卫生"


@pytest.mark.parametrize("text", ["谢谢你啊小同志 你们辛苦了", "你好你好 小姑娘辛苦了啊", "您好 谢谢您"])
def test_thanks_with_a_greeting_is_thanks(text: str):
    assert small_talk_reply(text) is not None


def test_a_greeting_alone_still_asks_for_the_menu():
    assert small_talk_reply("你好") is None
