"""Does the assistant generalise? Each blind community (knowledge/eval/communities/<code>/, written by people who never
saw the code, the demo FAQ or each other's sets) is imported into a fresh scope through the real importer
(knowledge.importers.parse_file; the 相似问法 sheet as .xlsx), its owners' questions are asked, and everything fitted
(the ranking weights, the thresholds) is fitted leave-one-community-out: a community's figures come from a model that
never saw it. Beside it, in the same run, the two baselines of issue #17: plain multilingual-e5-small (nearest FAQ
question, or nearest paragraph of a document) and BM25 over plain jieba tokens, their refusal thresholds chosen the
same leave-one-out way.

Not on the serving path: `linli kb eval-communities` (make eval) runs it.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from knowledge.assistant import Assistant
from knowledge.entries import KnowledgeEntry
from knowledge.importers import parse_file
from knowledge.index import Candidate
from knowledge.ranking import Ranking, lead
from knowledge.text import plain_tokens

COMMUNITIES = Path(__file__).parent / "eval" / "communities"
REFUSE = 0.92  # the "I don't know" threshold refuses this share of the training communities' out-of-scope questions
PRECISION = 0.90  # the direct-answer threshold: this share of the training communities' direct answers are right


@dataclass
class Community:
    code: str
    name: str
    shape: str
    community_id: int
    entries: list[KnowledgeEntry]
    questions: list[tuple[str, frozenset[str]]]  # (question, ids of the entries that answer it; empty: out of scope)


@dataclass
class Asked:
    """One question's retrieval, computed once: the fitted parts are applied to it per fold."""

    right: frozenset[str]
    candidates: list[Candidate]
    e5: list[tuple[str, float]]  # baseline: entries by plain e5 similarity, best first
    bm25: list[tuple[str, float]]  # baseline: entries by plain-jieba BM25, best first


@dataclass
class Figures:
    method: str
    right_first: float
    right_top3: float
    answered_right: float  # answered directly (above the fitted threshold) with the right entry
    refused: float  # out-of-scope questions refused
    choices: float = 0.0  # in-scope questions offered numbered choices (the configured assistant only)


@dataclass
class Report:
    communities: list[Community]
    figures: dict[str, list[Figures]] = field(default_factory=dict)  # community code -> methods
    ranking: Ranking = Ranking()  # fitted on every community (what ships)
    answer_at: float = 0.0
    choices_at: float = 0.0


def load_community(folder: Path, community_id: int, scratch: Path) -> Community:
    """The community's files parsed by the real importer, and its questions with the entry ids they expect."""
    meta = json.loads((folder / "community.json").read_text(encoding="utf-8"))
    entries: list[KnowledgeEntry] = []
    refs: dict[str, set[str]] = {}
    for name in meta["files"]:
        path = folder / name
        if name == "faq_alt.csv":  # the company keeps it as a spreadsheet: import it the way it would arrive
            path = as_xlsx(path, scratch / f"{meta['code']}-faq_alt.xlsx")
        is_table = path.suffix in (".csv", ".xlsx")
        parsed = parse_file(path, title=f"{meta['name']}常见问题" if is_table else None)
        if not parsed.ok:
            raise ValueError(f"{folder.name}/{name}: {parsed.problems}")
        for row, draft in enumerate(parsed.drafts, 1):
            entry = KnowledgeEntry(id=f"{meta['code']}-{len(entries) + 1}", community_id=community_id,
                                   question=draft.question, answer=draft.answer, citation=draft.citation,
                                   category=draft.category, alternatives=draft.alternatives, kind=draft.kind)
            entries.append(entry)
            ref = f"{Path(name).stem}:{row}" if is_table else f"doc:{name}#{draft.category}"
            refs.setdefault(ref, set()).add(entry.id)
    questions = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            expect = row["expect"]
            if expect is not None and expect not in refs:
                raise ValueError(f"{folder.name}: {expect} is not an entry or section of the files")
            questions.append((row["q"], frozenset(refs[expect]) if expect else frozenset()))
    return Community(code=meta["code"], name=meta["name"], shape=meta["shape"], community_id=community_id,
                     entries=entries, questions=questions)


def as_xlsx(csv_path: Path, target: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    with csv_path.open(encoding="utf-8-sig", newline="") as source:
        for row in csv.reader(source):
            sheet.append(row)
    workbook.save(target)
    return target


def ask_all(assistant: Assistant, community: Community) -> list[Asked]:
    """Every question of the community through the assistant's retrieval, and through the two baselines."""
    index = assistant.index
    faq_like = [e for e in community.entries if e.kind == "faq"]
    plain_texts = [e.question for e in faq_like] + [e.answer for e in community.entries if e.kind == "doc"]
    plain_ids = [e.id for e in faq_like] + [e.id for e in community.entries if e.kind == "doc"]
    plain = np.vstack([index.embedder.queries([e.question for e in faq_like]) if faq_like else np.zeros((0, 384)),
                       index.embedder.passages([t for t in plain_texts[len(faq_like):]])
                       if len(plain_texts) > len(faq_like) else np.zeros((0, 384))])
    bm25 = BM25Okapi([plain_tokens(f"{e.question} {e.answer}") or ["∅"] for e in community.entries])
    asked = []
    for question, right in community.questions:
        candidates = index.candidates(community.community_id, question)
        sims = plain @ index.embedder.queries([question])[0]
        scores = bm25.get_scores(plain_tokens(question))
        asked.append(Asked(right=right, candidates=candidates, e5=_ordered(plain_ids, sims),
                           bm25=_ordered([e.id for e in community.entries], scores)))
    return asked


def _ordered(ids: list[str], scores: np.ndarray) -> list[tuple[str, float]]:
    return [(ids[i], float(scores[i])) for i in np.argsort(-scores)[:10]]


CREDITS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1)


def fit_ranking(asked: list[Asked]) -> Ranking:
    """The fusion's two credits by grid search (most right entries first; the smaller credits on a tie), then the
    confidence's logistic regression (scikit-learn) of "the top entry is right" on the top score and its lead."""
    from sklearn.linear_model import LogisticRegression

    asked = [a for a in asked if a.candidates]

    def right_first(ranking: Ranking) -> int:
        return sum(ranking.scored(a.candidates)[0].entry.id in a.right for a in asked if a.right)

    fusion = max((Ranking(char_credit=c, word_credit=w) for c in CREDITS for w in CREDITS),
                 key=lambda r: (right_first(r), -r.char_credit - r.word_credit))
    rows, labels = [], []
    for a in asked:
        ordered = fusion.scored(a.candidates)
        rows.append([ordered[0].score, lead(ordered, 0)])
        labels.append(ordered[0].entry.id in a.right)
    model = LogisticRegression(C=1.0, max_iter=5000).fit(np.asarray(rows), np.asarray(labels))
    return Ranking(char_credit=fusion.char_credit, word_credit=fusion.word_credit,
                   score_weight=round(float(model.coef_[0][0]), 2), lead_weight=round(float(model.coef_[0][1]), 2),
                   bias=round(float(model.intercept_[0]), 2))


def ranked(asked: Asked, ranking: Ranking) -> list[tuple[str, float]]:
    """The configured ranking: (entry id, confidence), best first."""
    return [(c.entry.id, c.confidence) for c in ranking.scored(asked.candidates)]


def thresholds(tops: list[tuple[bool, bool, float]], *, refuse: float = REFUSE,
               precision: float = PRECISION) -> tuple[float, float]:
    """(answer_at, choices_at) from (in scope?, top right?, top score) of the training questions: choices_at refuses
    `refuse` of the out-of-scope ones; answer_at is the lowest score, not under choices_at, from which `precision`
    of the answers are right."""
    oos = np.sort([score for in_scope, _, score in tops if not in_scope])
    choices_at = float(oos[min(len(oos) - 1, int(np.ceil(refuse * len(oos))) - 1)]) + 1e-9 if len(oos) else 0.0
    answer_at = choices_at
    scored = sorted(((score, right) for _, right, score in tops if score >= choices_at), reverse=True)
    good = 0
    for n, (score, right) in enumerate(scored, 1):
        good += right
        if good / n >= precision:
            answer_at = max(choices_at, score)
    return answer_at, choices_at


def _top(order: list[tuple[str, float]], right: frozenset[str]) -> tuple[bool, float]:
    return (bool(order) and order[0][0] in right), (order[0][1] if order else float("-inf"))


def figures(method: str, asked: list[Asked], orders: list[list[tuple[str, float]]], answer_at: float,
            choices_at: float) -> Figures:
    inside = [(a, o) for a, o in zip(asked, orders, strict=True) if a.right]
    outside = [o for a, o in zip(asked, orders, strict=True) if not a.right]

    def share(items: list, predicate: Callable) -> float:
        return sum(1 for item in items if predicate(item)) / len(items) if items else 0.0

    return Figures(
        method=method,
        right_first=share(inside, lambda p: _top(p[1], p[0].right)[0]),
        right_top3=share(inside, lambda p: any(i in p[0].right for i, _ in p[1][:3])),
        answered_right=share(inside, lambda p: _top(p[1], p[0].right)[0] and _top(p[1], p[0].right)[1] >= answer_at),
        refused=share(outside, lambda o: _top(o, frozenset())[1] < choices_at),
        choices=share(inside, lambda p: choices_at <= _top(p[1], p[0].right)[1] < answer_at))


def leave_one_out(communities: list[Community], asked: dict[str, list[Asked]]) -> Report:
    """Per community: the configured assistant with weights and thresholds fitted on the others, and the baselines
    with thresholds chosen on the others (one threshold: what is not refused is answered)."""
    report = Report(communities=communities)
    for held in communities:
        train = [a for c in communities if c.code != held.code for a in asked[c.code]]
        test = asked[held.code]
        ranking = fit_ranking(train)
        rows = []
        train_orders = [ranked(a, ranking) for a in train]
        answer_at, choices_at = thresholds([(bool(a.right), *_top(o, a.right)) for a, o in zip(train, train_orders,
                                                                                              strict=True)])
        rows.append(figures("Linli (fitted without this community)", test, [ranked(a, ranking) for a in test],
                            answer_at, choices_at))
        for name, pick in (("plain e5, nearest question", lambda a: a.e5), ("BM25 (plain jieba)", lambda a: a.bm25)):
            _, refuse_at = thresholds([(bool(a.right), *_top(pick(a), a.right)) for a in train])
            rows.append(figures(name, test, [pick(a) for a in test], refuse_at, refuse_at))
        report.figures[held.code] = rows
    everything = [a for c in communities for a in asked[c.code]]
    report.ranking = fit_ranking(everything)
    tops = [(bool(a.right), *_top(ranked(a, report.ranking), a.right)) for a in everything]
    report.answer_at, report.choices_at = thresholds(tops)
    return report


def load_communities(folder: Path = COMMUNITIES) -> list[Community]:
    scratch = Path(tempfile.mkdtemp(prefix="linli-eval-"))
    folders = sorted(p for p in folder.iterdir() if (p / "community.json").exists())
    return [load_community(path, number, scratch) for number, path in enumerate(folders, 1)]


def misses(community: Community, asked: list[Asked], report: Report) -> list[tuple[str, str]]:
    """The questions the shipped weights (fitted on every community, this one included) get wrong: for reading."""
    found = []
    by_id = {e.id: e for e in community.entries}
    for (question, right), a in zip(community.questions, asked, strict=True):
        order = ranked(a, report.ranking)
        top, score = (order[0] if order else (None, 0.0))
        if right and top not in right:
            want = by_id[next(iter(right))]
            found.append((question, f"{by_id[top].question if top else None} ({score:.2f}); want {want.question}"))
        elif not right and score >= report.choices_at:
            found.append((question, f"out of scope, offered {by_id[top].question} ({score:.2f})"))
    return found
