"""`linli kb eval`: the metrics for the configured retrieval and the baselines on one labelled set."""

from __future__ import annotations

import json

import pytest

from knowledge.evaluation import evaluate, load_dataset
from tests.knowledge.conftest import YGHY

ROWS = [
    {"type": "retrieval", "q": "门卡弄丢了咋办", "expect": "门禁卡丢了怎么补办？", "split": "dev"},
    {"type": "retrieval", "q": "装修押金多少钱", "split": "dev",
     "expect": ["装修押金和垃圾清运费是多少？", "阳光花园装修管理规定·二、装修费用"]},
    {"type": "oos", "q": "明天股市会涨吗", "split": "dev"},
    {"type": "intent", "q": "卫生间下水道堵了", "intent": "repair", "split": "dev"},
    {"type": "intent", "q": "最近有什么活动", "intent": "activities", "split": "test"},
]


async def test_the_report_has_every_metric_for_every_method(assistant, tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    report = await evaluate(assistant, load_dataset(path), community_id=YGHY, split="all")
    assert report.counts == {"retrieval": 2, "out_of_scope": 1, "intent": 2}
    configured, vector, bm25, plain = report.methods
    assert plain.name == "plain BM25 baseline" and plain.oos_refusal is not None
    assert configured.recall_at_1 == 1.0 and configured.mrr == 1.0
    assert configured.oos_refusal == 1.0 and configured.intent_accuracy == 1.0
    assert all(0.0 <= m.recall_at_1 <= m.recall_at_3 <= 1.0 for m in report.methods)
    dev_only = await evaluate(assistant, load_dataset(path), community_id=YGHY, split="dev")
    assert dev_only.counts["intent"] == 1


async def test_an_expected_entry_that_does_not_exist_is_a_dataset_error(assistant):
    rows = [{"type": "retrieval", "q": "游泳池几点开", "expect": "游泳池开放时间？"}]
    with pytest.raises(ValueError, match="not indexed"):
        await evaluate(assistant, rows, community_id=YGHY)
