"""A learned re-ranking of the fused top entries (`linli kb calibrate` fits it, knowledge/data/reranker.json).

Reciprocal rank fusion weighs the rankings by hand and forgets by how much an entry led. Many misses had the right
entry second or third, with a higher passage or answer similarity, or covering more of the question's characters,
than the entry fusion put first. A linear score over five signals of each of the top entries (the fused score, the
question, passage and answer similarities, the share of the question's characters the entry contains), fitted on
labelled questions with a listwise softmax (the right entry should win its list), re-orders the top DEPTH. The signals
describe how a question meets an entry, not which entry it is, so the weights carry over to other communities' FAQs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from knowledge.fitted import FittedFile, adam
from knowledge.text import DATA

if TYPE_CHECKING:
    from knowledge.index import Hit

RERANKER_FILE = DATA / "reranker.json"
FEATURES = ("fused_score", "question_sim", "passage_sim", "answer_sim", "char_coverage")
DEPTH = 6  # how many of the fused top entries are re-ordered (they get the coverage signals)
L2, STEPS, STEP_SIZE = 1e-2, 500, 0.05


def rerank_row(hit: Hit) -> list[float]:
    return [hit.score, hit.question_sim, hit.passage_sim, hit.answer_sim, hit.char_coverage]


@dataclass(frozen=True)
class Reranker(FittedFile):
    FILE: ClassVar[Path] = RERANKER_FILE
    FEATURES: ClassVar[tuple[str, ...]] = FEATURES

    fitted_on: str = ""

    def order(self, hits: list[Hit]) -> list[Hit]:
        """The top DEPTH hits re-ordered by the learned score (stable on ties); the rest as they were."""
        head = hits[:DEPTH]
        if len(head) < 2:
            return hits
        rows = self.standardised(np.asarray([rerank_row(h) for h in head]))
        scores = np.einsum("nf,f->n", rows, np.asarray(self.weights))
        order = sorted(range(len(head)), key=lambda i: -scores[i])
        return [head[i] for i in order] + hits[DEPTH:]


@lru_cache(maxsize=1)
def default_reranker() -> Reranker:
    return Reranker.load()


def fit(lists: list[list[list[float]]], right: list[list[bool]], *, fitted_on: str = "") -> Reranker:
    """Listwise softmax regression: for each question, its candidates' rows (rerank_row, in fused order) and which of
    them answer it. Questions whose candidates hold no right entry teach nothing and are left out. Full-batch Adam
    from zero weights: the same data gives the same weights."""
    used = [(np.asarray(rows, dtype=float), np.asarray(flags, dtype=float))
            for rows, flags in zip(lists, right, strict=True) if rows and any(flags)]
    if not used:
        raise ValueError("no question has its right entry among the candidates")
    stacked = np.vstack([rows for rows, _ in used])
    mean, spread = stacked.mean(axis=0), stacked.std(axis=0)
    scale = np.where(spread > 1e-6, spread, 1.0)  # a signal that never varies keeps its units
    used = [((rows - mean) / scale, flags / flags.sum()) for rows, flags in used]
    weights = np.zeros(len(FEATURES))

    def gradients() -> list[np.ndarray]:
        gradient = L2 * weights
        for rows, target in used:
            scores = rows @ weights
            p = np.exp(scores - scores.max())
            gradient += rows.T @ (p / p.sum() - target) / len(used)
        return [gradient]

    adam([weights], gradients, steps=STEPS, step_size=STEP_SIZE)
    return Reranker(features=FEATURES, mean=tuple(mean.round(6)), scale=tuple(scale.round(6)),
                    weights=tuple(weights.round(6)), fitted_on=fitted_on)
