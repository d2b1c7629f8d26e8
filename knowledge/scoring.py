"""The hand-made confidence rule for a retrieval result. It is no longer the answer/choices/unknown decision itself but
one signal of the calibrated confidence fitted on labelled questions (knowledge/calibration.py), which weighs it with
the similarities and how much of the question the entry covers.

Tuned by hand on the dev split of knowledge/eval/devset.jsonl (never on the held-out test split). Signals of the top
entry: its answer-passage similarity and its question similarity (multilingual-e5 similarities crowd between ~0.80
and 1.0, so they are rescaled), whether BM25 and the passage vectors both put it first, and its fused-score margin
over the runner-up. A top entry that shares no word with the question (jieba words, domain dictionary, synonyms
folded; character pairs do not count) is a vector-only guess: out-of-scope questions (附近哪有药店) look like that,
so its confidence is halved.
"""

from __future__ import annotations

from knowledge.index import Hit

OFF_TOPIC_MARGIN = 0.0  # nearer to an out-of-scope example than to the best entry by more than this: out of scope
NO_WORD_IN_COMMON = 0.5  # factor when the top entry shares no word with the question


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def off_topic(hits: list[Hit], off_topic_sim: float) -> bool:
    """The question is nearer to an everyday matter that is not the property service's (knowledge/off_topic.py)
    than to any vector of the best entry: it is out of scope, however well it matches an FAQ row's frame."""
    return bool(hits) and off_topic_sim > max(hits[0].question_sim, hits[0].passage_sim) + OFF_TOPIC_MARGIN


def rule_confidence(hits: list[Hit], off_topic_sim: float = 0.0) -> float:
    """0..1, how sure we are that hits[0] answers the question (0 for an out-of-scope question)."""
    if not hits or off_topic(hits, off_topic_sim):
        return 0.0
    top = hits[0]
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    passage_first = max(hits, key=lambda h: h.passage_sim) is top
    agree = 0.15 if top.bm25_rank == 1 and passage_first else 0.0
    sure = _unit(0.55 * _unit((top.answer_sim - 0.84) / 0.08) + 0.35 * _unit((top.question_sim - 0.86) / 0.12)
                 + agree + (top.score - runner_up))
    return sure * NO_WORD_IN_COMMON if top.shared_words == 0 else sure
