"""The out-of-scope class: everyday questions that are not the property service's business (data/off_topic.txt).

A bi-encoder scores a question mostly by its frame, so "社保卡丢了怎么补办" sits right next to the FAQ's
"门禁卡丢了怎么补办". Labelled examples of other matters in the same frames tell the two apart, the way intent-based
assistants keep an `out_of_scope` class. The answerer compares the question's similarity to the nearest example here
with its similarity to the community's best entry (knowledge/scoring.py).

The examples were written by topic from everyday city life, blind to the evaluation sets, and hold nothing a property
FAQ answers (fees, parking, repairs, renovation, rubbish, pets' rules, parcels, access cards …): there the FAQ must
always win, and a community whose FAQ does cover one of these matters still wins by its own, higher similarity.

Their vectors are kept in Chroma next to the entries' (one collection per embedder, keyed by the file's digest), so a
restarted process reads them back instead of embedding ~300 sentences again (~4 s with the offline model).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.text import DATA, normalize, query_form

log = logging.getLogger(__name__)
OFF_TOPIC_FILE = DATA / "off_topic.txt"
# A question that names the estate or its service is addressed to it ("物业周末上班吗" is not "银行周末上班吗"): the
# out-of-scope class is not consulted; whether the FAQ answers it is left to the confidence.
ADDRESSED_TO_ESTATE = re.compile(r"物业|物管|小区|业主|业委会|保安|门卫|前台|管家|楼栋|单元|咱们这|我们这")
_MATRICES: dict[tuple[str, str], np.ndarray] = {}  # (embedder, digest) -> vectors: one embedding per process
_MATRICES_LOCK = threading.Lock()


def load_examples(path: Path = OFF_TOPIC_FILE) -> list[tuple[str, str]]:
    """(topic, question) pairs from the file's `[topic]` sections; lines starting with # are comments."""
    examples: dict[str, str] = {}
    topic = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            topic = line[1:-1].strip()
        elif topic is not None:
            examples.setdefault(line, topic)
    return [(topic, question) for question, topic in examples.items()]


class OffTopicBank:
    """The nearest out-of-scope example to a question, by the same embedder and query text as the FAQ search."""

    def __init__(self, embedder: Embedder, *, store: Any = None, examples: list[tuple[str, str]] | None = None) -> None:
        self.embedder = embedder
        self.store = store  # knowledge.index.ChromaStore, or None: embed in every process
        self.examples = examples if examples is not None else load_examples()
        texts = "\n".join(question for _, question in self.examples)
        self.digest = hashlib.sha256(texts.encode()).hexdigest()[:16]

    def matrix(self) -> np.ndarray:
        """The examples' L2-normalised vectors: from this process, else from Chroma, else embedded (and stored)."""
        key = (self.embedder.name, self.digest)
        with _MATRICES_LOCK:
            matrix = _MATRICES.get(key)
            if matrix is None:
                matrix = self._stored() if self.store is not None else None
                if matrix is None:
                    matrix = self._embed()
                _MATRICES[key] = matrix
            return matrix

    def similarity(self, question: str) -> float:
        """How near the question is to the out-of-scope class; 0.0 when it names the estate or its service."""
        if ADDRESSED_TO_ESTATE.search(normalize(question)):
            return 0.0
        return self.nearest(question)[0]

    def nearest(self, question: str) -> tuple[float, str]:
        """(cosine similarity, example) of the nearest out-of-scope example; (0.0, "") with no examples."""
        if not self.examples:
            return 0.0, ""
        vector = np.asarray(self.embedder.queries([query_form(question)])[0], dtype=np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        sims = np.einsum("ij,j->i", self.matrix(), vector)
        best = int(np.argmax(sims))
        return float(sims[best]), self.examples[best][1]

    def _ids(self) -> list[str]:
        return [f"{self.digest}:{i}" for i in range(len(self.examples))]

    def _stored(self) -> np.ndarray | None:
        try:
            stored = self.store.named("offtopic").get(ids=self._ids(), include=["embeddings"])
        except Exception:  # noqa: BLE001 - a Chroma hiccup only costs an embedding
            log.warning("could not read the out-of-scope vectors from Chroma", exc_info=True)
            return None
        if len(stored["ids"]) != len(self.examples):
            return None
        order = {unit_id: i for i, unit_id in enumerate(stored["ids"])}
        vectors = np.asarray(stored["embeddings"], dtype=np.float32).reshape(len(stored["ids"]), -1)
        return _normalised(vectors[[order[unit_id] for unit_id in self._ids()]])

    def _embed(self) -> np.ndarray:
        if not self.examples:
            return np.zeros((0, 1), dtype=np.float32)
        matrix = _normalised(np.asarray(self.embedder.queries([query_form(q) for _, q in self.examples]),
                                        dtype=np.float32))
        if self.store is not None:
            try:
                collection = self.store.named("offtopic")
                collection.delete(where={"digest": {"$ne": self.digest}})
                collection.upsert(ids=self._ids(), embeddings=matrix,
                                  documents=[question for _, question in self.examples],
                                  metadatas=[{"digest": self.digest, "topic": topic} for topic, _ in self.examples])
            except Exception:  # noqa: BLE001 - stored next time
                log.warning("could not store the out-of-scope vectors in Chroma", exc_info=True)
        return matrix


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
