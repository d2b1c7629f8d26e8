"""BM25 (Okapi, as rank_bm25 computes it) over an inverted index.

rank_bm25 scores a query by looking every query token up in every document's term counts: a Python loop over the
whole corpus per token, ~18 ms for a 70-character question at 1,000 entries. Here each term's contribution to each
document that holds it is computed once, when the index is built, and a query adds up only the postings of its own
tokens. Same idf, k1, b and floor, same order of additions: the same scores (a test compares them).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from rank_bm25 import BM25Okapi


class InvertedBM25(BM25Okapi):
    def __init__(self, corpus: list[list[str]], **options: float) -> None:
        super().__init__(corpus, **options)
        doc_len = np.array(self.doc_len)
        norm = self.k1 * (1 - self.b + self.b * doc_len / self.avgdl)
        ids: dict[str, list[int]] = defaultdict(list)
        counts: dict[str, list[int]] = defaultdict(list)
        for i, frequencies in enumerate(self.doc_freqs):
            for word, count in frequencies.items():
                ids[word].append(i)
                counts[word].append(count)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for word, docs in ids.items():
            where, tf = np.array(docs), np.array(counts[word])
            self.postings[word] = (where, (self.idf.get(word) or 0) * (tf * (self.k1 + 1) / (tf + norm[where])))

    def get_scores(self, query: list[str]) -> np.ndarray:
        score = np.zeros(self.corpus_size)
        for token in query:
            posting = self.postings.get(token)
            if posting is not None:
                score[posting[0]] += posting[1]
        return score
