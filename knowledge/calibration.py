"""The calibrated confidence: the probability that the top entry answers the question, from a logistic regression
over signals of the retrieval, fitted on labelled questions (`linli kb calibrate`, knowledge/data/calibration.json).

Why learned: the rule in knowledge/scoring.py was tuned by hand on one dev set and held up poorly on questions written
by others (it refused 70 % of out-of-scope questions on a blind set). The hard cases are near the domain: a covered
topic asked about a detail the FAQ does not hold (押金收据丢了还能退吗). Their top entry is on topic, so similarity
alone cannot tell them apart; how much of the question the entry's text covers, and how many of its words the entry
lacks, can. Eight signals, standardised, one weight each: small enough to fit on a few hundred questions without
learning them by heart, and readable in the JSON file (read the weights together: the signals move together, so
missing_words, which grows with the question's length, ends up with a small positive weight next to char_coverage's
large one).

The thresholds are fitted with the weights: "I don't know" below the probability under which the wanted share of the
training set's out-of-scope questions falls; a direct answer from where the answered questions are right at the
wanted precision; numbered choices in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from knowledge.fitted import FittedFile
from knowledge.index import Hit
from knowledge.scoring import rule_confidence
from knowledge.text import DATA

CALIBRATION_FILE = DATA / "calibration.json"
FEATURES = ("question_sim", "passage_sim", "answer_sim", "off_topic_sim", "char_coverage", "missing_words",
            "log_length", "rule_confidence")


def feature_row(question: str, hits: list[Hit], off_topic_sim: float) -> list[float]:
    """The signals of the top entry for this question (FEATURES order); hits must be non-empty."""
    top = hits[0]
    return [top.question_sim, top.passage_sim, top.answer_sim, off_topic_sim, top.char_coverage,
            float(top.missing_words), math.log(max(1, len(question))), rule_confidence(hits, off_topic_sim)]


@dataclass(frozen=True)
class Calibrator(FittedFile):
    FILE: ClassVar[Path] = CALIBRATION_FILE
    FEATURES: ClassVar[tuple[str, ...]] = FEATURES

    bias: float
    answer_at: float  # at or above: answer directly
    choices_at: float  # at or above: offer the top three questions; below: "I don't know"
    fitted_on: str = ""  # what it was fitted on, for the record

    def probability(self, question: str, hits: list[Hit], off_topic_sim: float = 0.0) -> float:
        """0..1, how likely hits[0] answers the question (0 without hits)."""
        if not hits:
            return 0.0
        return float(self._predict(np.asarray([feature_row(question, hits, off_topic_sim)]))[0])

    def _predict(self, rows: np.ndarray) -> np.ndarray:
        z = self.standardised(rows) @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=1)
def default_calibrator() -> Calibrator:
    return Calibrator.load()


def fit(rows: np.ndarray, right: np.ndarray, out_of_scope: np.ndarray, *, refuse: float = 0.92,
        precision: float = 0.95, l2: float = 1.0, fitted_on: str = "") -> Calibrator:
    """Logistic regression (Newton steps, L2 penalty) of `right` (the top entry answers it) on the feature rows.
    out_of_scope marks the rows that must be refused; `refuse` is the share of them the unknown threshold refuses,
    `precision` the share of direct answers that must be right."""
    rows, right = np.asarray(rows, dtype=float), np.asarray(right, dtype=float)
    mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-9
    design = np.c_[(rows - mean) / scale, np.ones(len(rows))]
    penalty = l2 * np.diag(np.r_[np.ones(rows.shape[1]), 0.0])
    w = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        step = np.linalg.solve((design * (p * (1 - p))[:, None]).T @ design + penalty,
                               design.T @ (p - right) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    p = 1.0 / (1.0 + np.exp(-design @ w))
    excluded = np.sort(p[np.asarray(out_of_scope, dtype=bool)])
    choices_at = float(excluded[min(len(excluded) - 1, math.ceil(refuse * len(excluded)) - 1)]) + 1e-6 \
        if len(excluded) else 0.5
    answer_at = choices_at
    for threshold in np.sort(np.unique(p[p >= choices_at])):
        if right[p >= threshold].mean() >= precision:
            answer_at = max(choices_at, float(threshold))
            break
    return Calibrator(features=FEATURES, mean=tuple(mean.round(6)), scale=tuple(scale.round(6)),
                      weights=tuple(w[:-1].round(6)), bias=round(float(w[-1]), 6), answer_at=round(answer_at, 6),
                      choices_at=round(choices_at, 6), fitted_on=fitted_on)
