"""Calibrated confidence for a retrieval result, and the thresholds that pick answer / choices / unknown.

Calibrated on the dev split of knowledge/eval/devset.jsonl (never on the held-out test split): the top entry's best
cosine similarity (multilingual-e5 similarities sit between ~0.75 and 1.0), its margin over the runner-up, and
whether BM25 agrees with the vector side.
"""

from __future__ import annotations

import numpy as np

from knowledge.index import Hit

ANSWER_AT = 0.60  # at or above: answer directly
CHOICES_AT = 0.35  # at or above: offer the top three questions; below: "I don't know"
SIM_FLOOR, SIM_CEIL = 0.83, 0.93


def confidence(hits: list[Hit]) -> float:
    """0..1, how sure we are that hits[0] answers the question."""
    if not hits:
        return 0.0
    top = hits[0]
    base = (top.vector_sim - SIM_FLOOR) / (SIM_CEIL - SIM_FLOOR)
    runner_up = max((h.vector_sim for h in hits[1:]), default=SIM_FLOOR)
    margin = top.vector_sim - runner_up
    agree = 0.15 if top.bm25_rank == 1 and top.vector_rank == 1 else (0.05 if top.bm25_rank == 1 else -0.05)
    return float(np.clip(0.75 * base + 3.0 * margin + agree, 0.0, 1.0))
