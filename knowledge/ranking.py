"""One fusion and one confidence.

Fusion: an entry's score is its best similarity to the question — of its question and alternative phrasings, or of
its answer passage and sentences (e5 `query:`/`passage:` forms) — plus small credits for how much of the question its
text holds (meaningful characters, words). Confidence: a logistic function of the top entry's score and of how far it
leads the next entries of the same question (a per-question normalisation: the level of similarities differs from one
community's wording to another's, the lead much less). Settings' thresholds compare it: faq_answer_at answers
directly, faq_choices_at offers numbered choices, below it the assistant says it does not know.

The five numbers below were fitted on the four blind communities (knowledge/eval/communities) by `linli kb
eval-communities`; the figures in docs/knowledge.md are leave-one-community-out (each community's come from numbers
fitted without it). What was measured and left out — BM25 in the fusion, a learned per-candidate model, the
out-of-scope example bank — is in docs/knowledge.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.index import Candidate

LEAD_OVER = 9  # the top score's lead is over the mean of this many next entries


@dataclass(frozen=True)
class Ranking:
    char_credit: float = 0.05  # × share of the question's meaningful characters in the entry's text
    word_credit: float = 0.02  # × share of the question's words in the entry's text
    score_weight: float = 4.89  # confidence = logistic(score_weight·score + lead_weight·lead + bias)
    lead_weight: float = 3.68
    bias: float = -3.76

    def scored(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates ordered by the fused score, best first, each with its score and confidence (0..1)."""
        for c in candidates:
            c.score = max(c.question_sim, c.passage_sim) + self.char_credit * c.char_coverage \
                + self.word_credit * c.word_coverage
        ordered = sorted(candidates, key=lambda c: -c.score)
        for position, c in enumerate(ordered):
            c.confidence = self.confidence(c.score, lead(ordered, position))
        return ordered

    def confidence(self, score: float, lead: float) -> float:
        z = self.score_weight * score + self.lead_weight * lead + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def lead(ordered: list[Candidate], position: int) -> float:
    """How far the candidate at `position` leads the mean of the next LEAD_OVER (0.1 when none follow)."""
    following = [c.score for c in ordered[position + 1:position + 1 + LEAD_OVER]]
    return ordered[position].score - sum(following) / len(following) if following else 0.1


SHIPPED = Ranking()


def rank(candidates: list[Candidate], ranking: Ranking = SHIPPED) -> list[Candidate]:
    return ranking.scored(candidates)
