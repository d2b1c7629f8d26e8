"""The inverted-index BM25 gives rank_bm25's scores."""

from __future__ import annotations

import random

import numpy as np
from rank_bm25 import BM25Okapi

from knowledge.bm25 import InvertedBM25
from knowledge.text import domain_tokens
from tests.knowledge.conftest import demo_entries


def test_scores_equal_rank_bm25_on_the_demo_knowledge() -> None:
    corpus = [domain_tokens(f"{e.question} {e.answer}") for e in demo_entries()]
    ours, theirs = InvertedBM25(corpus), BM25Okapi(corpus)
    rng = random.Random(3)
    vocabulary = sorted({token for document in corpus for token in document})
    queries = [domain_tokens(q) for q in ("物叶费咋交", "我家老人腿脚不好电梯坏了找谁修啊", "停车月卡多少钱一个月")]
    queries += [rng.sample(vocabulary, k) + ["不在语料里的词"] for k in (1, 5, 40)]
    queries.append(corpus[0] + corpus[0])  # repeated tokens count each time, as in rank_bm25
    for query in queries:
        np.testing.assert_allclose(ours.get_scores(query), theirs.get_scores(query), rtol=0, atol=1e-12)
    assert not ours.get_scores([]).any()
