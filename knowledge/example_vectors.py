"""Vectors of fixed labelled sentences (the out-of-scope class, the intent examples), embedded once.

Kept in this process (one copy per embedder and set of sentences) and in Chroma next to the entries' vectors (one
collection per purpose and embedder, rows keyed by the sentences' digest), so a restarted process reads them back
instead of embedding hundreds of sentences again (about 12 ms each with the offline model). Sentences are embedded as
queries, in the same normalised form as an owner's question (knowledge.text.query_form).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder, normalised
from knowledge.text import query_form

log = logging.getLogger(__name__)
_MATRICES: dict[tuple[str, str, str], np.ndarray] = {}  # (purpose, embedder, digest) -> L2-normalised vectors
_LOCK = threading.Lock()


class ExampleVectors:
    def __init__(self, purpose: str, texts: list[str], embedder: Embedder, *, store: Any = None) -> None:
        self.purpose = purpose  # also the Chroma collection's suffix, e.g. "offtopic"
        self.texts = list(texts)
        self.embedder = embedder
        self.store = store  # knowledge.index.ChromaStore, or None: embedded in every process
        self._forms = [query_form(t) for t in self.texts]  # what is embedded
        # Of the embedded form: a change to knowledge.text.query_form re-embeds what Chroma kept.
        self.digest = hashlib.sha256("\n".join(self._forms).encode()).hexdigest()[:16]

    def matrix(self) -> np.ndarray:
        """The texts' vectors in order: from this process, else from Chroma, else embedded (and stored)."""
        key = (self.purpose, self.embedder.name, self.digest)
        with _LOCK:
            matrix = _MATRICES.get(key)
            if matrix is None:
                matrix = self._stored() if self.store is not None and self.texts else None
                if matrix is None:
                    matrix = self._embed()
                _MATRICES[key] = matrix
            return matrix

    def _ids(self) -> list[str]:
        return [f"{self.digest}:{i}" for i in range(len(self.texts))]

    def _stored(self) -> np.ndarray | None:
        try:
            stored = self.store.named(self.purpose).get(ids=self._ids(), include=["embeddings"])
        except Exception:  # noqa: BLE001 - a Chroma hiccup only costs an embedding
            log.warning("could not read the %s vectors from Chroma", self.purpose, exc_info=True)
            return None
        if len(stored["ids"]) != len(self.texts):
            return None
        position = {unit_id: i for i, unit_id in enumerate(stored["ids"])}
        vectors = np.asarray(stored["embeddings"], dtype=np.float32).reshape(len(stored["ids"]), -1)
        return normalised(vectors[[position[unit_id] for unit_id in self._ids()]])

    def _embed(self) -> np.ndarray:
        if not self.texts:
            return np.zeros((0, 1), dtype=np.float32)
        forms = self._forms
        # In batches: one call over a thousand sentences pads them all to the longest and holds every activation.
        matrix = normalised(np.concatenate([np.asarray(self.embedder.queries(forms[start:start + 64]),
                                                       dtype=np.float32) for start in range(0, len(forms), 64)]))
        if self.store is not None:
            try:
                collection = self.store.named(self.purpose)
                collection.delete(where={"digest": {"$ne": self.digest}})
                ids = self._ids()
                for start in range(0, len(ids), 500):
                    part = slice(start, start + 500)
                    collection.upsert(ids=ids[part], embeddings=matrix[part], documents=self.texts[part],
                                      metadatas=[{"digest": self.digest}] * len(ids[part]))
            except Exception:  # noqa: BLE001 - stored next time
                log.warning("could not store the %s vectors in Chroma", self.purpose, exc_info=True)
        return matrix

