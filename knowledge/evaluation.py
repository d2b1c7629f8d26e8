"""Evaluation on a labelled Chinese dev set: recall@1/@3 and MRR, out-of-scope refusal and intent accuracy, for the
configured retrieval and for baselines (vector only, BM25 with the domain dictionary, plain jieba BM25) in one run.

Dataset rows (JSON lines): {"type": "retrieval", "q": ..., "expect": FAQ question or citation,
"split": "dev"|"test"|"long"}, {"type": "oos", "q": ..., "split": ...},
{"type": "intent", "q": ..., "intent": name, "split": ...}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Okapi

from knowledge.assistant import Assistant
from knowledge.calibration import feature_row
from knowledge.index import Hit
from knowledge.intent_examples import ALIASES, EXAMPLES
from knowledge.intents import FAQ, IntentSpec, default_intents
from knowledge.reranking import DEPTH, rerank_row
from knowledge.text import plain_tokens


@dataclass
class MethodScores:
    name: str
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    oos_refusal: float | None = None  # share of out-of-scope questions not answered
    in_scope_answered: float | None = None  # share of in-scope questions answered directly with the right entry
    intent_accuracy: float | None = None
    misses: list[str] = field(default_factory=list)


@dataclass
class EvalReport:
    split: str
    counts: dict[str, int]
    methods: list[MethodScores]


def load_dataset(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: {exc}") from exc
    return rows


def resolve_expected(assistant: Assistant, community_id: int, expect: str | list[str]) -> set[str]:
    """The entry ids that count as right: each expected FAQ question or document citation (a list: any of them)."""
    wanted = [expect] if isinstance(expect, str) else list(expect)
    ids = set()
    for want in wanted:
        found = [e.id for e in assistant.index.entries(community_id) if want in (e.question, e.citation)]
        if not found:
            raise ValueError(f"the dataset expects an entry that is not indexed: {want}")
        ids.update(found)
    return ids


async def evaluate(assistant: Assistant, rows: list[dict[str, Any]], *, community_id: int, split: str = "all",
                   intents: list[IntentSpec] | None = None) -> EvalReport:
    """Every method on the same rows."""
    rows = [r for r in rows if split == "all" or r.get("split", "dev") == split]
    retrieval = [r for r in rows if r["type"] == "retrieval"]
    oos = [r for r in rows if r["type"] == "oos"]
    intent_rows = [r for r in rows if r["type"] == "intent"]
    expected = {r["q"]: resolve_expected(assistant, community_id, r["expect"]) for r in retrieval}
    intents = intents or default_intents()
    index = assistant.index

    def ranked(search: Callable[[int, str], list[Hit]]) -> Callable[[str], list[str]]:
        return lambda q: [h.entry.id for h in search(community_id, q)]

    methods = [
        ("hybrid (configured)", ranked(lambda c, q: index.search(c, q, limit=10))),
        ("vector only (" + index.embedder.name + ")", ranked(lambda c, q: index.vector_search(c, q, limit=10))),
        ("BM25 + domain dictionary", ranked(lambda c, q: index.bm25_search(c, q, limit=10))),
        ("plain BM25 baseline", ranked(lambda c, q: index.bm25_search(c, q, limit=10, plain=True))),
    ]
    results = []
    for name, search in methods:
        scores = _ranking_scores(name, search, retrieval, expected)
        if name.startswith("plain BM25"):
            scores.oos_refusal = _share(oos, lambda r, search=search: not search(r["q"]))
            scores.intent_accuracy = _share(intent_rows, _bm25_intent_baseline(intents))
        results.append(scores)
    configured = results[0]
    answers = {r["q"]: await assistant.answer(community_id=community_id, question=r["q"]) for r in retrieval + oos}
    configured.oos_refusal = _share(oos, lambda r: answers[r["q"]].kind == "unknown")
    configured.in_scope_answered = _share(
        retrieval, lambda r: answers[r["q"]].kind == "answer" and answers[r["q"]].entry_id in expected[r["q"]])
    guesses = {r["q"]: await assistant.route(text=r["q"], intents=intents) for r in intent_rows}
    configured.intent_accuracy = _share(intent_rows, lambda r: _same_intent(guesses[r["q"]].intent, r["intent"]))
    configured.misses += [f"oos answered: {r['q']} -> {answers[r['q']].kind}" for r in oos
                          if answers[r["q"]].kind != "unknown"]
    configured.misses += [f"intent: {r['q']} -> {guesses[r['q']].intent} (want {r['intent']})" for r in intent_rows
                          if not _same_intent(guesses[r["q"]].intent, r["intent"])]
    counts = {"retrieval": len(retrieval), "out_of_scope": len(oos), "intent": len(intent_rows)}
    return EvalReport(split=split, counts=counts, methods=results)


def reranking_rows(assistant: Assistant, rows: list[dict[str, Any]], *, community_id: int
                   ) -> tuple[list[list[list[float]]], list[list[bool]]]:
    """What knowledge.reranking.fit learns from: for each retrieval question, the rows of its fused top entries (not
    re-ranked) and which of them answer it."""
    lists, right = [], []
    for row in rows:
        if row["type"] != "retrieval":
            continue
        wanted = resolve_expected(assistant, community_id, row["expect"])
        hits = assistant.index.search(community_id, row["q"], limit=DEPTH, rerank=False)
        lists.append([rerank_row(hit) for hit in hits])
        right.append([hit.entry.id in wanted for hit in hits])
    return lists, right


def calibration_rows(assistant: Assistant, rows: list[dict[str, Any]], *, community_id: int
                     ) -> tuple[list[list[float]], list[int], list[bool]]:
    """What knowledge.calibration.fit learns from: each retrieval and out-of-scope question's feature row, whether
    its top entry is right (never for an out-of-scope one), and whether it is out of scope. Questions without any
    hit are left out: they are refused whatever the weights."""
    features, right, out_of_scope = [], [], []
    for row in rows:
        if row["type"] not in ("retrieval", "oos"):
            continue
        hits, off_topic_sim = assistant.search_with_off_topic(community_id, row["q"])
        if not hits:
            continue
        features.append(feature_row(row["q"], hits, off_topic_sim))
        wanted = resolve_expected(assistant, community_id, row["expect"]) if row["type"] == "retrieval" else set()
        right.append(int(hits[0].entry.id in wanted))
        out_of_scope.append(row["type"] == "oos")
    return features, right, out_of_scope


def _same_intent(guess: str | None, want: str) -> bool:
    """A guess of None is the FAQ; a dialog registered under another name (activity_signup) counts as its label."""
    guess = guess or FAQ
    return guess == want or ALIASES.get(guess) == want


def _ranking_scores(name: str, search: Callable[[str], list[str]], rows: list[dict[str, Any]],
                    expected: dict[str, str]) -> MethodScores:
    scores = MethodScores(name=name)
    if not rows:
        return scores
    hits1 = hits3 = 0
    reciprocal = 0.0
    for row in rows:
        ids = search(row["q"])
        want = expected[row["q"]]
        rank = next((i for i, entry_id in enumerate(ids, 1) if entry_id in want), None)
        hits1 += rank == 1
        hits3 += rank is not None and rank <= 3
        reciprocal += 1.0 / rank if rank else 0.0
        if rank != 1:
            scores.misses.append(f"retrieval: {row['q']} -> rank {rank} (want {row['expect']})")
    scores.recall_at_1, scores.recall_at_3, scores.mrr = hits1 / len(rows), hits3 / len(rows), reciprocal / len(rows)
    return scores


def _share(rows: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> float | None:
    return sum(1 for r in rows if predicate(r)) / len(rows) if rows else None


def _bm25_intent_baseline(intents: list[IntentSpec]) -> Callable[[dict[str, Any]], bool]:
    """Baseline router: the intent of the best plain-BM25 labelled example; faq when nothing matches."""
    names = {spec.name for spec in intents} | {FAQ}
    labelled = [(name, text) for name, texts in EXAMPLES.items() if name in names for text in texts]
    bm25 = BM25Okapi([plain_tokens(text) for _, text in labelled])

    def correct(row: dict[str, Any]) -> bool:
        scores = bm25.get_scores(plain_tokens(row["q"]))
        best = int(scores.argmax())
        guess = labelled[best][0] if scores[best] > 0 else FAQ
        return _same_intent(guess, row["intent"])

    return correct
