"""The no-LLM assistant on the demo knowledge: paraphrases, synonyms, scoping, answer kinds, bad input."""

from __future__ import annotations

import pytest

from knowledge import messages
from knowledge.assistant import Assistant
from tests.knowledge.conftest import CHY, YGHY, entry_by_question


@pytest.mark.parametrize(("question", "expected"), [
    ("管理费在哪儿缴啊", "物业费怎么交？"),  # synonym 管理费 -> 物业费, no shared wording otherwise
    ("门卡弄丢了", "门禁卡丢了怎么补办？"),
    ("礼拜天能装修不", "装修施工时间有什么规定？"),  # 礼拜天 -> 周日, as the rules write it
    ("星期六家里能打电钻吗", "装修施工时间有什么规定？"),
    ("小电驴能推上楼吗", "电动车可以推进楼道或者带上楼吗？"),
    ("能拆承重墙吗", "阳光花园装修管理规定·四、禁止行为"),  # a document chunk
])
def test_paraphrases_find_the_right_entry_first(assistant, question, expected):
    assert assistant.search(YGHY, question)[0].entry.id == entry_by_question(assistant.index, expected).id


async def test_a_confident_match_answers_with_the_faq_text_and_its_citation(assistant: Assistant):
    answer = await assistant.answer(community_id=YGHY, question="物业费能不能微信付")
    assert answer.kind == "answer"
    assert answer.entry_id == entry_by_question(assistant.index, "物业费怎么交？").id
    assert "物业服务中心前台" in answer.text
    assert answer.text.endswith("「依据：物业服务指南·缴费」")
    assert answer.citations == ["物业服务指南·缴费"] and answer.confidence >= assistant.answer_at


async def test_each_community_gets_its_own_answer_and_the_shared_ones(assistant: Assistant):
    sunny = await assistant.answer(community_id=YGHY, question="物业费一平米多少钱")
    lake = await assistant.answer(community_id=CHY, question="物业费一平米多少钱")
    assert "2.2 元" in sunny.text and "1.8 元" in lake.text
    for community in (YGHY, CHY):
        shared = await assistant.answer(community_id=community, question="怎么找真人客服")
        assert shared.kind == "answer" and "邻里使用说明" in shared.text


async def test_entries_of_another_community_are_never_offered(assistant: Assistant):
    lake_parking = entry_by_question(assistant.index, "阳光花园停车管理办法·第三条 停车月卡的办理")
    answer = await assistant.answer_entry(community_id=CHY, entry_id=lake_parking.id)
    assert answer.kind == "unknown" and answer.text == messages.ENTRY_GONE
    hits = assistant.search(CHY, "停车月卡多少钱")
    assert all(hit.entry.community_id in (CHY, None) for hit in hits)


async def test_an_out_of_scope_question_gets_an_honest_i_dont_know(assistant: Assistant):
    answer = await assistant.answer(community_id=YGHY, question="明天上海会下雨吗")
    assert answer.kind == "unknown"
    assert answer.text == messages.UNKNOWN and answer.entry_id is None


@pytest.mark.parametrize("question", ["附近哪有药店", "车险哪家便宜", "学车去哪个驾校好"])
async def test_a_question_sharing_no_word_with_any_entry_is_not_offered_choices(assistant: Assistant, question):
    answer = await assistant.answer(community_id=YGHY, question=question)
    assert answer.kind == "unknown"


async def test_a_middling_match_offers_the_top_three_questions_numbered(assistant: Assistant):
    hits = assistant.search(YGHY, "装修的事")
    assistant.answer_at, assistant.choices_at = 1.01, hits[0].confidence  # between the two thresholds
    answer = await assistant.answer(community_id=YGHY, question="装修的事")
    assert answer.kind == "choices" and len(answer.choices) == 3
    assert answer.choices[0] == (hits[0].entry.question, hits[0].entry.id)
    assert f"1. {hits[0].entry.question}" in answer.text and "3. " in answer.text


async def test_a_document_section_is_answered_with_its_sentences_nearest_the_question(assistant: Assistant):
    answer = await assistant.answer(community_id=YGHY, question="能拆承重墙吗")
    entry = assistant.index.entry(answer.entry_id)
    assert answer.kind == "answer" and entry.kind == "doc"
    body = answer.text.split("\n「依据")[0]
    assert "承重" in body and len(body) <= len(entry.answer)


async def test_picking_a_choice_answers_that_entry(assistant: Assistant):
    entry = entry_by_question(assistant.index, "快递放在哪里？快递柜在哪？")
    answer = await assistant.answer_entry(community_id=YGHY, entry_id=entry.id)
    assert answer.kind == "answer" and answer.entry_id == entry.id and "丰巢" in answer.text


async def test_a_5000_character_question_is_answered_or_politely_refused(assistant: Assistant):
    rambling = "你好，我想问一下物业费怎么交？" + "我家的情况比较复杂，" * 500
    answer = await assistant.answer(community_id=YGHY, question=rambling[:5000])
    assert answer.kind in ("answer", "choices", "unknown") and answer.text
    noise = await assistant.answer(community_id=YGHY, question="啊" * 5000)
    assert noise.kind == "unknown" and noise.text == messages.UNKNOWN_TOO_LONG


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "？？？"])
async def test_empty_or_emoji_questions_never_crash(assistant: Assistant, question: str):
    answer = await assistant.answer(community_id=YGHY, question=question)
    assert answer.kind in ("unknown", "choices") and answer.text


async def test_a_failing_index_gives_unknown_instead_of_an_error(assistant: Assistant, monkeypatch):
    def broken(*args, **kwargs) -> list:
        raise ConnectionError("chroma server is down")

    monkeypatch.setattr(assistant.index, "candidates", broken)
    answer = await assistant.answer(community_id=YGHY, question="物业费怎么交")
    assert answer.kind == "unknown"
