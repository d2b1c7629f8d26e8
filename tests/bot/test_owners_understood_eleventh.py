"""Issue #16, eleventh round (from the blind holdout13 conversations): someone shut in a lift, a flooded garage and a
burning smell are emergencies; a carer's self-introduction and 要修 are no description; 公共区域的要报修 starts the
report; 返回 goes back to a step the opening message answered; praise is thanked; a kept draft is taken up again with
接着报; an item to change is picked by its name; a neighbour naming the fire-hydrant box otherwise is offered the open
ticket; questions for a person or outside our remit (another community, a parking space's certificate, the fund's
balance) and a range hood that is no cooking fumes."""

from __future__ import annotations

import re

import pytest

from bot import texts
from bot.commands import command_for
from bot.dialogs.emergency import is_emergency
from bot.dialogs.repair_extract import description_of
from bot.dialogs.words import asks_something
from bot.faq_limits import NEEDS_PERSON, OUTSIDE_REMIT
from bot.registry import default_registry
from knowledge.small_talk import small_talk_reply
from tests.bot.owners import Answer, Guess, Owner, TinyAssistant, make_bot
from tests.bot.test_owners_understood_eighth import flow
from workflows.repairs.intake import facility_of
from workflows.text import comparable

PARKING = "车库停车一个月多少钱"


@pytest.fixture
def routed(runtime) -> Owner:
    repair = Guess("repair", 0.9)  # what routing reads them as (tests/knowledge/test_intents.py)
    assistant = TinyAssistant(answers={PARKING: Answer(kind="answer", text="车库月卡每月 300 元。")},
                              routes={"公共区域报修": repair, "谢谢你们 上次水管修好了又漏了": repair,
                                      "家里厨房灯不亮了 换了灯泡也不行": repair})
    return Owner(make_bot(runtime, assistant=assistant))


@pytest.mark.parametrize(("text", "urgent"), [("里面关了个老太太出不来 快点啊", True),
                                              ("地下车库进水了 水都淹到车轱辘了", True),
                                              ("还有 电梯里现在有股焦糊味 像是烧着什么了", True),
                                              ("关了灯出不来", False), ("电饭煲糊了", False)])
def test_new_words_for_an_emergency(text: str, urgent: bool):
    assert is_emergency(comparable(text).replace(" ", "")) is urgent


@pytest.mark.parametrize(("text", "described"), [("我是张伟家阿姨 家里水电要报修", False), ("家里门窗要修", False),
                                                 ("家里水管要修 一直漏", True), ("我是租客 厨房水龙头一直滴", True)])
def test_who_writes_and_what_is_to_be_done_are_no_description(text: str, described: bool):
    assert bool(description_of(text)) is described


async def test_the_place_then_i_want_to_report_starts_the_report_at_the_building(routed: Owner):
    await routed.bind_demo_flat()
    assert "哪栋楼" in await routed.say("公共区域的要报修")
    assert "3号楼的哪里" in await routed.say("3幢")


def test_the_fund_with_i_want_to_report_is_no_report_and_a_typo_is_confirmed():
    assert command_for(default_registry(), "维修基金要报修") is None
    assert command_for(default_registry(), "俄要保秀").typo


async def test_back_after_an_opening_that_answered_the_first_step_goes_back_to_it(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("公共区域报修")
    assert "家里，还是公共区域" in await routed.say("返回")
    assert "哪一类" in await routed.say("家里")


async def test_back_at_the_first_step_asked_says_so(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("报修")
    assert (await routed.say("返回")).startswith(texts.BACK_AT_START)


@pytest.mark.parametrize("text", ["王师傅今天来修的灯 手脚麻利 给他点个赞👍",
                                  "今天小李帮我把快递搬上楼了 太谢谢了 小伙子真不错", "谢谢你们啊 上次那个水管修好了"])
async def test_praise_is_thanked_and_starts_nothing(routed: Owner, text: str):
    await routed.bind_demo_flat()
    assert await routed.say(text) == texts.PRAISE_THANKS and await flow(routed) is None


async def test_praise_with_something_wrong_again_is_a_report(routed: Owner):
    await routed.bind_demo_flat()
    await routed.say("谢谢你们 上次水管修好了又漏了")
    assert await flow(routed) == "repair"


async def test_carrying_on_with_the_kept_draft(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("报修", "家里", "门窗"):
        await routed.say(line)
    assert "留着" in await routed.say(f"算了先问个别的 {PARKING}")
    reply = await routed.say("好 那接着报刚才那个修")
    assert reply.startswith("我们接着刚才的报修") and "描述" in reply


async def test_an_item_to_change_is_picked_by_its_name(routed: Owner):
    await routed.bind_demo_flat()
    for line in ("家里厨房灯不亮了 换了灯泡也不行", "没有", "明天下午 电话不变", "2"):
        await routed.say(line)
    assert "什么时候上门" in await routed.say("上门时间")
    assert "09:00" in await routed.say("明天上午")


@pytest.mark.parametrize("text", ["6号楼3单元楼道里的消防栓箱门掉下来了", "六号楼三单元消防箱的门坏了"])
def test_the_fire_hydrant_box_is_one_facility(text: str):
    assert facility_of(text) == "消防栓"


def test_where_the_office_is_asks_at_any_step():
    assert asks_something("那个你们那个物业办公室是在几号楼来着我想先过去当面问问")


@pytest.mark.parametrize(("text", "kind"), [("那隔壁绿城小区物业费多少你知道不", "outside"),
                                            ("我想查一下我家房产证办到哪一步了", "outside"),
                                            ("我买的车位啥时候能办产权证", "outside"),
                                            ("我们1号楼的维修基金现在还剩多少钱", "person"),
                                            ("维修基金余额在哪能看到", None), ("我家维修基金还剩多少 在哪能查", None),
                                            ("维修基金怎么用", None)])
def test_questions_outside_our_remit_or_for_a_person(text: str, kind: str | None):
    found = "outside" if OUTSIDE_REMIT.search(text) else "person" if NEEDS_PERSON.search(text) else None
    assert found == kind


def test_trying_it_out_is_small_talk():
    assert small_talk_reply("没啥事 就是试试 谢谢啊") is not None


@pytest.mark.parametrize(("text", "dialog"), [("我家厨房的吸油烟机上面那个柜子门掉下来了", None),
                                              ("楼下饭店油烟太大了", "complaint")])
def test_a_range_hood_is_no_cooking_fumes(text: str, dialog: str | None):
    complaint = default_registry().get("complaint")
    assert ("complaint" if re.search(complaint.keywords, text) else None) == dialog


async def test_thanks_beside_an_emergency_is_the_emergency(routed: Owner):
    await routed.bind_demo_flat()
    reply = await routed.say("太谢谢了 电梯里关着人 出不来")
    assert "情况紧急" in reply and reply != texts.PRAISE_THANKS


async def test_an_emergency_at_a_choice_step_gets_the_emergency_answer(routed: Owner):
    await routed.say("绑定房屋")  # its steps take no free text
    reply = await routed.say("还有 电梯里现在有股焦糊味 像是烧着什么了")
    assert "情况紧急" in reply and await flow(routed) == "bind"
