"""An owner who has not bound a flat yet, writing to an account with several communities (the demo: 阳光花园 and
翠湖苑): binding asks which community with numbered choices, and FAQ questions are answered from the shared
(community-less) entries only until the owner is bound — never from one community's own FAQ (issue #21). An account
with one community answers from its FAQ at once (tests/linli/test_own_community.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import texts
from tests.bot.owners import Answer, Owner, TinyAssistant
from workflows.community.models import Building, Community, Household, Resident


async def community_ids(runtime) -> dict[str, int]:
    async with runtime.sessions() as session:
        return {c.name: c.id for c in await session.scalars(select(Community))}


async def test_binding_asks_which_community_with_numbered_choices(owner: Owner) -> None:
    asked = await owner.say("绑定房屋")
    assert texts.BIND_COMMUNITY in asked and "1. 阳光花园" in asked and "2. 翠湖苑" in asked
    buildings = await owner.say("2")
    assert texts.BIND_BUILDING in buildings and "6栋" not in buildings  # 翠湖苑's buildings, not 阳光花园's


async def test_an_unbound_owner_is_answered_from_the_shared_faq_until_bound(owner: Owner, assistant: TinyAssistant,
                                                                            runtime) -> None:
    ids = await community_ids(runtime)
    assert len(ids) >= 2
    await owner.say("绑定房屋")
    await owner.say("物业费怎么交？")  # a question in the middle of binding: the shared scope only
    assert assistant.scopes == [None]
    await owner.say("取消")
    await owner.bind_demo_flat()  # 阳光花园 1栋1单元101
    reply = await owner.say("停车费多少钱？")
    assert assistant.scopes[-1] == ids["阳光花园"]
    assert reply.startswith(texts.UNKNOWN) and not reply.startswith(texts.UNKNOWN_UNBOUND)


PARKING = Answer(kind="answer", text="地面车位每月 200 元。", entry_id="p1")


@pytest.fixture
def fee_known_in_cuihu(assistant: TinyAssistant, runtime) -> TinyAssistant:
    """Only 翠湖苑's own FAQ knows the parking fee; the shared entries know nothing."""
    async def answer(*, community_id: int | None, question: str) -> Answer:
        assistant.scopes.append(community_id)
        ids = await community_ids(runtime)
        known = community_id == ids["翠湖苑"] and question == "停车费多少钱？"
        return PARKING if known else Answer(kind="unknown", text="这个问题我还不太清楚。")

    assistant.answer = answer
    return assistant


async def test_a_question_the_shared_faq_cannot_answer_asks_which_community_once(
        owner: Owner, fee_known_in_cuihu: TinyAssistant, runtime) -> None:
    """The shared entries do not know the parking fee but a community's FAQ does: the owner is asked where they live
    (numbered), then answered from that community's FAQ; the next question uses it without asking again."""
    ids = await community_ids(runtime)
    asked = await owner.say("停车费多少钱？")
    assert asked.startswith(texts.WHICH_COMMUNITY) and "1. 阳光花园" in asked and "2. 翠湖苑" in asked
    assert fee_known_in_cuihu.scopes[0] is None  # the shared entries were tried first
    answered = await owner.say("2")
    assert fee_known_in_cuihu.scopes[-1] == ids["翠湖苑"] and "200 元" in answered
    reply = await owner.say("装修押金多少？")
    assert fee_known_in_cuihu.scopes[-1] == ids["翠湖苑"] and not reply.startswith(texts.WHICH_COMMUNITY)
    assert reply.startswith(texts.UNKNOWN) and "转人工" in reply  # 翠湖苑 does not know either: a person offered


async def test_a_question_no_community_answers_is_not_worth_asking_where(owner: Owner, assistant: TinyAssistant):
    reply = await owner.say("附近哪有修手机的")
    assert reply.startswith(texts.UNKNOWN_UNBOUND) and "转人工" in reply


async def test_the_community_question_is_left_for_another_message(owner: Owner,
                                                                  fee_known_in_cuihu: TinyAssistant) -> None:
    """Not every owner answers the question; whatever else they say is read afresh."""
    assert (await owner.say("停车费多少钱？")).startswith(texts.WHICH_COMMUNITY)
    reply = await owner.say("报修")
    assert texts.WHICH_COMMUNITY not in reply and (await owner.conversation())["dialog"] == "repair"


async def test_an_owner_bound_in_the_second_community_gets_its_faq(owner: Owner, assistant: TinyAssistant,
                                                                   runtime) -> None:
    ids = await community_ids(runtime)
    for line in ("绑定房屋", "2", "1"):
        await owner.say(line)
    async with runtime.sessions() as session:
        building = await session.scalar(select(Building).where(Building.community_id == ids["翠湖苑"])
                                        .order_by(Building.sort_key, Building.name))
        household, resident = (await session.execute(
            select(Household, Resident).join(Resident, Resident.household_id == Household.id)
            .where(Household.building_id == building.id).limit(1))).one()
    await owner.say(household.room)
    await owner.say(resident.name)
    assert "绑定成功" in await owner.say(resident.phone[-4:])
    await owner.say("停车费多少钱？")
    assert assistant.scopes[-1] == ids["翠湖苑"]


@pytest.mark.parametrize("question", ["我家燃气费怎么比邻居高那么多", "房东说物业费他交了 我怎么确认",
                                      "二手房均价多少"])
async def test_a_question_only_a_person_or_nobody_here_answers_asks_no_community(owner: Owner,
                                                                                assistant: TinyAssistant,
                                                                                question: str) -> None:
    """Even when a community's FAQ has an entry near it: this household's bill, the housing market."""
    async def answer(*, community_id: int | None, question: str) -> Answer:
        return Answer(kind="answer", text="某条规定。") if community_id else Answer(kind="unknown", text="不清楚。")

    assistant.answer = answer
    reply = await owner.say(question)
    assert reply.startswith(texts.UNKNOWN_UNBOUND) and "转人工" in reply
