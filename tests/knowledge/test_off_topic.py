"""The out-of-scope class: everyday questions in an FAQ row's frame are not answered from the FAQ; the FAQ still wins
its own matters."""

from __future__ import annotations

import re

import pytest

from knowledge.assistant import Assistant
from knowledge.entries import KnowledgeEntry
from knowledge.index import Hit
from knowledge.off_topic import load_examples
from knowledge.scoring import off_topic, rule_confidence
from tests.knowledge.conftest import YGHY, entry_by_question

# What a property FAQ answers (estate amenities too): the examples must never be about these, or they would
# shadow the FAQ.
PROPERTY_WORDS = re.compile(r"物业|小区|业主|楼道|车位|门禁|电梯|装修|报修|快递柜|垃圾|停车|维修"
                            r"|泳池|游泳馆|健身房|健身卡|会所|活动室")


def test_the_examples_are_many_topics_and_none_is_about_the_property_service():
    examples = load_examples()
    assert len(examples) >= 200 and len({topic for topic, _ in examples}) >= 15
    assert [q for _, q in examples if PROPERTY_WORDS.search(q)] == []


@pytest.mark.parametrize("question", [
    "我那张医保卡找不着了，去哪再弄一张",  # another card in the frame of 门禁卡丢了怎么补办
    "工商银行周六几点开门",  # another office's hours, like the property centre's
    "孙子下学期幼升小要准备啥材料",
])
async def test_everyday_questions_in_an_faq_frame_get_the_honest_answer(assistant: Assistant, question: str):
    answer = await assistant.answer(community_id=YGHY, question=question)
    assert answer.kind == "unknown" and answer.entry_id is None


@pytest.mark.parametrize(("question", "expected"), [
    ("门卡丢了去哪补一张", "门禁卡丢了怎么补办？"),
    ("物业周末上班吗", "物业服务中心在哪里？几点上班？"),  # not 银行周末上班吗: it names the service
    ("燃气费在哪交", "水电费和燃气费怎么交？"),
])
async def test_the_faq_still_answers_its_own_matters(assistant: Assistant, question: str, expected: str):
    answer = await assistant.answer(community_id=YGHY, question=question)
    assert answer.kind == "answer"
    assert answer.entry_id == entry_by_question(assistant.index, expected).id


def test_the_gate_compares_the_nearest_example_with_the_best_entry():
    hits = [Hit(entry=KnowledgeEntry(id="1", community_id=1, question="门禁卡丢了怎么补办？", answer="到前台补办。"),
                score=0.4, question_sim=0.93, passage_sim=0.90, answer_sim=0.90, bm25_rank=1, shared_words=2)]
    assert not off_topic(hits, 0.92) and rule_confidence(hits, 0.92) > 0
    assert off_topic(hits, 0.95) and rule_confidence(hits, 0.95) == 0.0
    assert not off_topic([], 0.99)
