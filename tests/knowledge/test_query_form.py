"""Long run-on questions: the whole question is embedded, so the matter an owner names after a long preamble is
still found (embedding only the first 40 characters, tried for speed, lost exactly these)."""

from __future__ import annotations


def test_a_question_after_a_long_preamble_is_still_found(demo_index) -> None:
    preamble = "我家老人腿脚不好，平时都是我来弄，这几天我出差不在家，家里就剩老伴一个人，我想问问"
    assert len(preamble) > 40
    hits = demo_index.search(1, preamble + "装修押金什么时候退")
    assert any("押金" in hit.entry.question for hit in hits[:3])
    newcomer = "我是三栋的业主，上个月刚搬进来，很多事都不太懂，邻居说有事可以问你们，"
    hits = demo_index.search(1, newcomer + "想问一下快递一般放在哪里")
    assert "快递" in hits[0].entry.question


def test_days_as_owners_say_them_become_the_rules_words() -> None:
    from knowledge.text import apply_synonyms

    assert apply_synonyms("礼拜天能装修不") == "周日能装修不"
    assert apply_synonyms("星期六上午能打电钻吗") == "周六上午能打电钻吗"
    assert apply_synonyms("下礼拜搬家，礼拜一能进电梯吗") == "下周搬家，周一能进电梯吗"
