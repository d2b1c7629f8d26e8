"""Issue #16, tenth round (from the blind holdout12 conversations): a ticket number asked about is looked up; a
question and a command in one message are both taken; a cancel leading a long message cancels; 不用拍照 skips;
算了还是这儿报吧 stays in the report; a carer's words are no description; 先不用 declines a person; a correction at
the description step keeps the description; thanks to 小林 is thanks; one household's arrears need a person."""

from __future__ import annotations

import pytest

from bot import texts
from bot.dialogs.repair_extract import description_of
from bot.faq_limits import NEEDS_PERSON
from bot.registry import default_registry
from bot.two_asks import two_asks
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Owner, TinyAssistant, make_bot
from tests.bot.test_owners_understood_eighth import flow, tickets
from tests.bot.test_owners_understood_fourth import escalations

MONTHLY = "车库月卡多少钱"


@pytest.fixture
def assistant() -> TinyAssistant:
    return TinyAssistant(answers={MONTHLY: Answer(kind="answer", text="车库月卡每月 300 元。")})


@pytest.fixture
def routed(runtime, assistant: TinyAssistant) -> Owner:
    return Owner(make_bot(runtime, assistant=assistant))


# --- tickets and two asks in one message ----------------------------------------------------------------------
async def test_a_ticket_number_asked_about_is_looked_up(routed: Owner, runtime):
    await routed.bind_demo_flat()
    for line in ("报修 家里水电 厨房水龙头一直滴水", "跳过", "明天上午", "1"):
        reply = await routed.say(line)
    number = (await tickets(runtime))[-1].number
    assert number in reply
    answer = await routed.say(f"{number}到哪一步了")
    assert number in answer and "这个问题" not in answer and "转人工" not in answer


async def test_a_question_then_i_want_to_complain_answers_and_starts_the_complaint(routed: Owner):
    await routed.bind_demo_flat()
    reply = await routed.say(f"{MONTHLY} 还有老有人占我车位 我要投诉")
    assert "300 元" in reply and await flow(routed) == "complaint"
    assert (await routed.conversation())["values"].get("category") == "停车"


async def test_a_payment_asked_for_with_a_question_about_it_starts_the_payment(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("我想交物业费 能微信交不")
    assert await flow(routed) == "pay"


@pytest.mark.parametrize(("text", "asked"), [("物业电话多少 我要报修", True), ("我要报修 电梯坏了吗", False),
                                             ("物业电话多少", None), ("我要报修", None), ("电梯坏了 我要报修", None),
                                             ("正门那个刷脸的是不是坏了 我刷不进去 报修", None),
                                             ("业委会选举啥时候开始啊 我想报名", None)])
def test_two_asks_are_a_question_clause_and_a_whole_command_clause(text: str, asked: bool | None):
    both = two_asks(default_registry(), text)
    assert (None if both is None else bool(both.question)) == asked
    assert both is None or both.command.dialog.name == "repair"


# --- leaving, skipping and staying --------------------------------------------------------------------------------
async def test_a_cancel_leading_a_long_message_cancels(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "家里", "水电", "热水器打不着火"):
        await routed.say(line)
    reply = await routed.say("取消吧 不修了 我儿子说他会弄")
    assert reply.startswith("好的，已取消") and await flow(routed) is None


async def test_a_cancel_then_a_question_keeps_the_draft_and_answers(runtime):
    assistant = TinyAssistant(answers={"停车费一个月多少": Answer(kind="answer", text="地面车位每月 200 元。")})
    owner = Owner(make_bot(runtime, assistant=assistant))
    await owner.bind_demo_flat()
    for line in ("投诉", "停车"):
        await owner.say(line)
    reply = await owner.say("算了 不投诉了 先问下停车费一个月多少")
    assert "200 元" in reply and "留着" in reply


@pytest.mark.parametrize("text", ["不用拍照", "没法拍照片", "不拍照了"])
def test_no_photo_taking_is_a_skip(text: str):
    assert texts.is_skip(text)


async def test_never_mind_i_will_report_here_stays_in_the_report(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "公共区域"):
        await routed.say(line)
    reply = await routed.say("算了还是这儿报吧 2号楼")
    assert await flow(routed) == "repair" and "2号楼的哪里" in reply


async def test_a_carer_s_words_are_no_description(routed: Owner):
    assert description_of("帮我妈报个修") == "" and description_of("她家就是1号楼1单元101 家里的") == ""
    assert description_of("我妈家厨房水管漏了") != ""
    await routed.bind_demo_flat()
    for line in ("报修", "她家就是1号楼1单元101 家里的"):
        await routed.say(line)
    assert "描述" in await routed.say("水电")


async def test_not_now_i_will_ask_the_residents_committee_declines_the_person(routed: Owner, runtime):
    await routed.bind_demo_flat()
    assert "转人工" in await routed.say("你们这能开居住证明不 孩子上学要用")
    assert await routed.say("先不用 我问问居委会") == texts.HANDOVER_DECLINED
    assert not await escalations(runtime)


async def test_a_correction_at_the_description_step_keeps_the_description(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里 门窗")
    reply = await routed.say("不对 不是门窗 是水电 窗户边上那个插座坏了")
    values = (await routed.conversation())["values"]
    assert reply.startswith(texts.CORRECTED) and values["category"] == "水电"
    assert values["description"] == "窗户边上那个插座坏了"


async def test_a_bare_correction_at_the_description_step_asks_the_description_again(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里 门窗")
    assert "描述" in await routed.say("不对 是水电")
    assert "description" not in (await routed.conversation())["values"]


# --- small talk and who answers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "kind"), [("谢谢你啊小林 上回帮了大忙", True), ("谢谢小张", True),
                                            ("小区停电了", False), ("小王", False)])
def test_thanks_to_a_staff_member_by_name_is_small_talk(text: str, kind: bool):
    assert (small_talk_reply(text) is not None) is kind


@pytest.mark.parametrize(("text", "person"), [("我是新搬来的租客 房东的物业费欠了好几年 会不会影响我住", True),
                                              ("物业费欠费了怎么办", True), ("物业费多少钱一平", False)])
def test_one_household_s_arrears_need_a_person(text: str, person: bool):
    assert bool(NEEDS_PERSON.search(text)) is person


# --- the photos step answered with the next step's answer ---------------------------------------------------------
async def test_a_visit_time_at_the_photos_step_leaves_the_photos_and_keeps_the_time(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里卫生间的灯不亮了，开关按了没反应。")
    summary = await routed.say("明天上午10点以后")
    assert "请确认报修信息" in summary and "照片：0 张" in summary and "10:00" in summary


async def test_a_time_then_no_photos_at_the_photos_step_answers_both(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修 家里卫生间的灯不亮了")
    summary = await routed.say("后天下午吧 没照片")
    assert "请确认报修信息" in summary and "14:00" in summary


@pytest.mark.parametrize("text", ["晚上灯也不亮", "厕所", "明天下午能来吗"])
async def test_what_is_no_visit_time_at_the_photos_step_leaves_the_step_open(routed: Owner, text: str):
    await routed.bind_demo_flat()
    await routed.say("报修 家里卫生间的灯不亮了")
    await routed.say(text)
    conv = await routed.conversation()
    assert conv["dialog"] == "repair" and "when" not in conv["values"]
