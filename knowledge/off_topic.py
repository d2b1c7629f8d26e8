"""The out-of-scope class: everyday questions that are not the property service's business (data/off_topic.txt).

A bi-encoder scores a question mostly by its frame, so "社保卡丢了怎么补办" sits right next to the FAQ's
"门禁卡丢了怎么补办". Labelled examples of other matters in the same frames tell the two apart, the way intent-based
assistants keep an `out_of_scope` class. The answerer compares the question's similarity to the nearest example here
with its similarity to the community's best entry (knowledge/scoring.py).

The examples were written by topic from everyday city life, blind to the evaluation sets, and hold nothing a property
FAQ answers (fees, parking, repairs, renovation, rubbish, pets' rules, parcels, access cards, estate amenities …):
there the FAQ must always win, and a community whose FAQ covers one of these matters still wins by its own, higher
similarity. Their vectors are kept like the intent examples' (knowledge/example_vectors.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder, query_vector
from knowledge.example_vectors import ExampleVectors
from knowledge.text import DATA, normalize, read_sections

OFF_TOPIC_FILE = DATA / "off_topic.txt"
# A question that names the estate or its service is addressed to it ("物业周末上班吗" is not "银行周末上班吗"): the
# out-of-scope class is not consulted; whether the FAQ answers it is left to the confidence.
ADDRESSED_TO_ESTATE = re.compile(r"物业|物管|小区|业主|业委会|保安|门卫|前台|管家|楼栋|单元|咱们这|我们这")


def load_examples(path: Path = OFF_TOPIC_FILE) -> list[tuple[str, str]]:
    """(topic, question) pairs from the file's `[topic]` sections, each question once."""
    seen: dict[str, str] = {}
    for topic, questions in read_sections(path).items():
        for question in questions:
            seen.setdefault(question, topic)
    return [(topic, question) for question, topic in seen.items()]


class OffTopicBank:
    """The nearest out-of-scope example to a question, by the same embedder and query text as the FAQ search."""

    def __init__(self, embedder: Embedder, *, store: Any = None, examples: list[tuple[str, str]] | None = None) -> None:
        self.embedder = embedder
        self.examples = examples if examples is not None else load_examples()
        self.vectors = ExampleVectors("offtopic", [q for _, q in self.examples], embedder, store=store)

    def matrix(self) -> np.ndarray:
        return self.vectors.matrix()

    def similarity(self, question: str, vector: np.ndarray | None = None) -> float:
        """How near the question is to the out-of-scope class; 0.0 when it names the estate or its service.
        `vector`: the question's normalised query vector when the caller already has it (the FAQ search's)."""
        if ADDRESSED_TO_ESTATE.search(normalize(question)):
            return 0.0
        return self.nearest(question, vector)[0]

    def nearest(self, question: str, vector: np.ndarray | None = None) -> tuple[float, str]:
        """(cosine similarity, example) of the nearest out-of-scope example; (0.0, "") with no examples."""
        if not self.examples:
            return 0.0, ""
        if vector is None:
            vector = query_vector(self.embedder, question)
        sims = np.einsum("ij,j->i", self.matrix(), vector)
        best = int(np.argmax(sims))
        return float(sims[best]), self.examples[best][1]
