"""The learned re-ranking of the fused top entries: it learns which signal marks the right entry, re-orders only the
top DEPTH, and refuses a file fitted on other signals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.entries import KnowledgeEntry
from knowledge.index import Hit
from knowledge.reranking import DEPTH, FEATURES, Reranker, default_reranker, fit


def hit(n: int, *, score: float, coverage: float) -> Hit:
    entry = KnowledgeEntry(id=str(n), community_id=1, question=f"问题{n}", answer="答", citation=f"指南·{n}")
    return Hit(entry=entry, score=score, question_sim=0.8, passage_sim=0.8, answer_sim=0.8, char_coverage=coverage)


def lists_where_coverage_decides(seed: int, n: int = 80) -> tuple[list[list[list[float]]], list[list[bool]]]:
    """Fused score is noise; the right entry is the one that covers the question's characters best."""
    rng = np.random.default_rng(seed)
    lists, right = [], []
    for _ in range(n):
        coverage = rng.uniform(0.2, 0.7, size=4)
        winner = int(rng.integers(4))
        coverage[winner] = 0.95
        lists.append([[float(rng.uniform(0.1, 0.3)), 0.8, 0.8, 0.8, float(c)] for c in coverage])
        right.append([i == winner for i in range(4)])
    return lists, right


def test_it_learns_the_signal_that_marks_the_right_entry_and_is_deterministic() -> None:
    lists, right = lists_where_coverage_decides(1)
    reranker = fit(lists, right, fitted_on="synthetic")
    assert reranker == fit(lists, right, fitted_on="synthetic")
    assert reranker.weights[FEATURES.index("char_coverage")] > abs(reranker.weights[FEATURES.index("fused_score")])
    hits = [hit(1, score=0.3, coverage=0.4), hit(2, score=0.2, coverage=0.95), hit(3, score=0.1, coverage=0.5)]
    assert [h.entry.id for h in reranker.order(hits)] == ["2", "3", "1"]


def test_only_the_top_depth_is_reordered() -> None:
    reranker = Reranker(features=FEATURES, mean=(0.0,) * 5, scale=(1.0,) * 5, weights=(0, 0, 0, 0, 1.0))
    hits = [hit(i, score=1 - i / 100, coverage=i / 100) for i in range(DEPTH + 3)]
    ordered = reranker.order(hits)
    assert [h.entry.id for h in ordered[:DEPTH]] == [str(i) for i in reversed(range(DEPTH))]
    assert ordered[DEPTH:] == hits[DEPTH:]
    assert reranker.order(hits[:1]) == hits[:1]


def test_questions_without_a_right_candidate_teach_nothing() -> None:
    with pytest.raises(ValueError):
        fit([[[0.1, 0.8, 0.8, 0.8, 0.5]]], [[False]])


def test_the_shipped_file_loads_and_a_file_of_other_signals_is_refused(tmp_path: Path) -> None:
    shipped = default_reranker()
    assert shipped.features == FEATURES and "devset" in shipped.fitted_on
    path = tmp_path / "reranker.json"
    shipped.save(path)
    assert Reranker.load(path) == shipped
    data = json.loads(path.read_text())
    data["features"] = ["fused_score"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="linli kb calibrate"):
        Reranker.load(path)


def test_the_shipped_files_are_read_only_when_used(demo_index, classifier, monkeypatch) -> None:
    """`linli kb calibrate` must run when the shipped reranker or confidence no longer match the code's signals."""
    from knowledge.assistant import Assistant
    from knowledge.index import KnowledgeIndex

    def outdated() -> None:
        raise ValueError("fitted on other features; run `linli kb calibrate`")

    monkeypatch.setattr("knowledge.index.default_reranker", outdated)
    monkeypatch.setattr("knowledge.assistant.default_calibrator", outdated)
    index = KnowledgeIndex(store=demo_index.store, embedder=demo_index.embedder)
    assistant = Assistant(index=index, classifier=classifier)
    with pytest.raises(ValueError, match="linli kb calibrate"):
        index.search(1, "物业费怎么交")
    assert index.search(1, "物业费怎么交", rerank=False)  # what the reranker is fitted on
    index.reranker = Reranker(features=FEATURES, mean=(0.0,) * 5, scale=(1.0,) * 5, weights=(1.0, 0, 0, 0, 0))
    hits, _ = assistant.search_with_off_topic(1, "物业费怎么交")  # what the confidence is fitted on
    assert hits
    with pytest.raises(ValueError, match="linli kb calibrate"):
        assistant.retrieval_answer(hits, 0.5)
