"""The out-of-scope class: everyday questions in an FAQ row's frame are not answered from the FAQ; the FAQ still wins
its own matters; the examples' vectors are kept in Chroma."""

from __future__ import annotations

import re

import numpy as np
import pytest

from knowledge import off_topic as off_topic_module
from knowledge.assistant import Assistant
from knowledge.entries import KnowledgeEntry
from knowledge.index import Hit, open_chroma
from knowledge.off_topic import OffTopicBank, load_examples
from knowledge.scoring import confidence, off_topic
from tests.knowledge.conftest import YGHY, entry_by_question
from tests.services import test_settings

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
    assert not off_topic(hits, 0.92) and confidence(hits, 0.92) > 0
    assert off_topic(hits, 0.95) and confidence(hits, 0.95) == 0.0
    assert not off_topic([], 0.99)


class CountingEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.embedded = inner, inner.name, 0

    def queries(self, texts):
        self.embedded += len(texts)
        return self.inner.queries(texts)

    def passages(self, texts):
        return self.inner.passages(texts)


def test_the_vectors_are_kept_in_chroma_and_read_back_by_a_new_process(tmp_path, embedder, monkeypatch):
    examples = [("银行", "银行卡丢了怎么挂失"), ("天气", "明天会下雨吗"), ("医院", "医院几点挂号")]
    store = open_chroma(test_settings(tmp_path), embedder.name)
    first = CountingEmbedder(embedder)
    vectors = OffTopicBank(first, store=store, examples=examples).matrix()
    assert first.embedded == 3 and vectors.shape[0] == 3

    monkeypatch.setattr(off_topic_module, "_MATRICES", {})  # a new process: nothing in memory
    second = CountingEmbedder(embedder)
    bank = OffTopicBank(second, store=open_chroma(test_settings(tmp_path), embedder.name), examples=examples)
    assert np.allclose(bank.matrix(), vectors, atol=1e-5) and second.embedded == 0
    similarity, example = bank.nearest("储蓄卡丢了咋办")
    assert example == "银行卡丢了怎么挂失" and similarity > 0.9

    changed = examples[:2] + [("医院", "医院周末开门吗")]  # the file changed: embedded again, old rows replaced
    monkeypatch.setattr(off_topic_module, "_MATRICES", {})
    third = CountingEmbedder(embedder)
    OffTopicBank(third, store=store, examples=changed).matrix()
    assert third.embedded == 3 and store.named("offtopic").count() == 3
