"""The calibrated confidence: fitting, thresholds, the shipped file, and the coverage signals it reads."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge.assistant import Assistant
from knowledge.calibration import CALIBRATION_FILE, FEATURES, Calibrator, default_calibrator, fit
from knowledge.entries import KnowledgeEntry
from knowledge.index import Hit
from tests.knowledge.conftest import YGHY


def synthetic(n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose first feature separates right answers from the rest, with noise; a third are out of scope."""
    rng = np.random.default_rng(seed)
    out_of_scope = rng.random(n) < 1 / 3
    right = (~out_of_scope) & (rng.random(n) < 0.9)
    rows = rng.normal(size=(n, len(FEATURES)))
    rows[:, 0] += np.where(right, 2.0, -1.0)
    return rows, right.astype(int), out_of_scope


def test_fitting_learns_the_separating_signal_and_sets_both_thresholds():
    rows, right, out_of_scope = synthetic()
    calibrator = fit(rows, right, out_of_scope, refuse=0.9, precision=0.95)
    assert calibrator.weights[0] > 1.0 and all(abs(w) < 0.5 for w in calibrator.weights[1:])
    p = calibrator._predict(rows)
    assert np.mean(p[out_of_scope] < calibrator.choices_at) >= 0.9
    answered = p >= calibrator.answer_at
    assert calibrator.answer_at >= calibrator.choices_at and right[answered].mean() >= 0.95


def test_a_calibrator_survives_saving_and_loading(tmp_path: Path):
    calibrator = fit(*synthetic(), fitted_on="synthetic")
    calibrator.save(tmp_path / "c.json")
    assert Calibrator.load(tmp_path / "c.json") == calibrator


def test_a_file_fitted_on_other_features_is_refused_with_the_command_to_run(tmp_path: Path):
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="linli kb calibrate"):
        Calibrator.load(tmp_path / "old.json")


def test_the_shipped_calibration_trusts_similarity_and_coverage():
    shipped = default_calibrator()
    assert shipped.fitted_on.startswith("devset.jsonl split dev")
    entry = KnowledgeEntry(id="1", community_id=1, question="门禁卡丢了怎么补办？", answer="到前台补办，工本费 20 元。")

    def hit(question_sim: float, coverage: float, missing: int) -> list[Hit]:
        return [Hit(entry=entry, score=0.4, question_sim=question_sim, passage_sim=question_sim - 0.03,
                    answer_sim=question_sim - 0.05, bm25_rank=1, shared_words=2, char_coverage=coverage,
                    missing_words=missing)]
    question = "门卡丢了咋办"
    assert shipped.probability(question, hit(0.95, 1.0, 0)) > shipped.probability(question, hit(0.86, 1.0, 0))
    assert shipped.probability(question, hit(0.95, 1.0, 0)) > shipped.probability(question, hit(0.95, 0.3, 0))
    assert shipped.probability("x", []) == 0.0


def test_search_reports_how_much_of_the_question_the_entry_covers(demo_index):
    exact = demo_index.search(YGHY, "物业费怎么交")[0]
    assert exact.char_coverage == 1.0 and exact.missing_words == 0
    detail = demo_index.search(YGHY, "物业费能用信用卡分期交吗")[0]
    assert detail.missing_words > 0 and detail.char_coverage < 1.0


async def test_the_assistant_decides_by_the_calibrated_probability(assistant: Assistant):
    question = "物业费能不能微信付"
    answer = await assistant.answer(community_id=YGHY, question=question)
    hits, off_topic_sim = assistant.search_with_off_topic(YGHY, question)
    assert answer.confidence == pytest.approx(assistant.calibrator.probability(question, hits, off_topic_sim))
    strict = Assistant(index=assistant.index, classifier=assistant.classifier, off_topic=assistant.off_topic,
                       calibrator=replace(assistant.calibrator, answer_at=1.01, choices_at=1.01))
    refused = await strict.answer(community_id=YGHY, question=question)
    assert refused.kind == "unknown"
