"""The knowledge index: vectors in Chroma (persistent folder, or a Chroma server), BM25 over jieba tokens built from
the collection's stored documents, fused by reciprocal rank. Per community plus shared entries."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.bm25 import InvertedBM25
from knowledge.embeddings import Embedder, normalised, query_vector
from knowledge.entries import KnowledgeEntry
from knowledge.reranking import DEPTH, Reranker, default_reranker
from knowledge.text import domain_tokens, folded, meaningful_characters, plain_tokens, truncate
from workflows.settings import Settings

SHARED = -1  # Chroma metadata cannot hold None: shared entries are stored with community -1
# Fusion chosen on the dev split (docs/knowledge.md): the answer passage ranks best alone, the question vectors and
# BM25 (domain dictionary) fix its misses; k=5 because the lists are short (tens of entries, not thousands).
RRF_K = 5
RRF_WEIGHTS = {"question": 1.0, "passage": 1.0, "bm25": 1.0}
INDEX_LAYOUT = "v3"  # bump when _units() changes: a new collection is built by `linli kb reindex`
VECTOR_UNITS = 250  # nearest vectors considered (an entry has 5-15: question, phrasings, passage, sentences)


@dataclass
class Hit:
    entry: KnowledgeEntry
    score: float  # fused (RRF) score
    vector_sim: float = 0.0  # best cosine similarity of any of the entry's vectors to the question
    question_sim: float = 0.0  # ... of its question and alternative phrasings
    passage_sim: float = 0.0  # ... of its question + answer passage, or one sentence of the answer
    answer_sim: float = 0.0  # ... of the whole question + answer passage (steadier, for confidence)
    bm25: float = 0.0
    vector_rank: int | None = None
    bm25_rank: int | None = None
    shared_words: int | None = None  # words (not character pairs) the question and the entry have in common
    missing_words: int = 0  # the question's words the entry does not contain (a detail it may not answer)
    char_coverage: float = 0.0  # share of the question's meaningful characters found in the entry's text


class ChromaStore:
    """One Chroma collection per community plus one for shared entries, per embedder (vector sizes never mix), so a
    query needs no metadata filter: filtered Chroma queries cost ~10x more than plain nearest-neighbour ones."""

    def __init__(self, client: Any, embedder_name: str) -> None:
        self.client = client
        self.prefix = f"linli-{INDEX_LAYOUT}-" + re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder_name).strip("-.")[:40]
        self._collections: dict[int, Any] = {}
        for collection in client.list_collections():
            name = collection if isinstance(collection, str) else collection.name
            if name.startswith(self.prefix + "-c"):
                suffix = name[len(self.prefix) + 2:]
                key = SHARED if suffix == "shared" else int(suffix)
                self._collections[key] = client.get_collection(name, embedding_function=None)

    def collection(self, key: int, *, create: bool = False) -> Any | None:
        """The collection of a community (SHARED: the shared entries)."""
        if key not in self._collections and create:
            name = f"{self.prefix}-c{'shared' if key == SHARED else key}"
            # embedding_function=None: vectors are always passed in, chromadb's default model is never loaded.
            self._collections[key] = self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        return self._collections.get(key)

    def named(self, suffix: str) -> Any:
        """A collection of this embedder for something other than a community's entries (e.g. "offtopic")."""
        return self.client.get_or_create_collection(f"{self.prefix}-{suffix}", embedding_function=None,
                                                    configuration={"hnsw": {"space": "cosine"}})

    def all(self) -> list[Any]:
        return list(self._collections.values())

    def count(self) -> int:
        return sum(c.count() for c in self._collections.values())


def open_chroma(settings: Settings, embedder_name: str) -> ChromaStore:
    """Chroma: a persistent folder (settings.chroma_path) or a Chroma server (settings.chroma_url). Telemetry off."""
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        match = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", settings.chroma_url)
        if not match:
            raise ValueError(f"LINLI_CHROMA_URL is not a URL: {settings.chroma_url}")
        scheme, host, port = match.groups()
        client = chromadb.HttpClient(host=host, port=int(port or (443 if scheme == "https" else 8000)),
                                     ssl=scheme == "https", settings=chroma_settings)
    else:
        client = chromadb.PersistentClient(path=settings.chroma_path, settings=chroma_settings)
    return ChromaStore(client, embedder_name)


def _key(community_id: int | None) -> int:
    return SHARED if community_id is None else community_id


class KnowledgeIndex:
    """Entries as vectors in Chroma plus an in-memory BM25 per community scope (rebuilt lazily after changes).

    Chroma stores the vectors; searching reads them back once per collection (and again after a change) into a
    normalised matrix and ranks exactly with one matrix product. At a community's scale (thousands of vectors) that
    is well under a millisecond, where an HNSW query through chromadb cost 3-10 ms at the tail."""

    def __init__(self, *, store: ChromaStore, embedder: Embedder, reranker: Reranker | None | bool = True) -> None:
        """reranker: True for the fitted one shipped in knowledge/data (loaded at the first re-ranked search, so
        `linli kb calibrate` runs without it), None (or False) for fusion alone."""
        self.store = store
        self.embedder = embedder
        self._reranker: Reranker | None | bool = reranker
        self._entries: dict[str, KnowledgeEntry] = {}
        self._bm25: dict[tuple[int | None, bool], tuple[list[str], InvertedBM25 | None]] = {}
        self._word_sets: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
        self._vectors: dict[int, tuple[list[str], np.ndarray]] = {}  # collection key -> (unit ids, unit vectors)
        self._lock = threading.RLock()
        self.reload()

    # --- keeping the index in step with the system of record ---

    def reload(self) -> None:
        """Read the entries back from the collections' stored metadata (the BM25 side is built from these)."""
        entries = {}
        for collection in self.store.all():
            stored = collection.get(where={"unit": "q0"}, include=["metadatas"])
            for meta in stored["metadatas"] or []:
                community = meta["community_id"]
                entry = KnowledgeEntry.from_metadata(meta["entry_id"], None if community == SHARED else community,
                                                     meta)
                entries[entry.id] = entry
        with self._lock:
            self._entries = entries
            self._bm25.clear()
            self._vectors.clear()

    def upsert(self, entries: list[KnowledgeEntry]) -> int:
        """Add or replace entries (by id); unchanged ones (same content hash) cost nothing. Returns how many changed."""
        changed = [e for e in entries if (old := self._entries.get(e.id)) is None or old != e]
        if not changed:
            return 0
        self._delete_units([e.id for e in changed if e.id in self._entries])
        units = [(entry, unit, text, as_query) for entry in changed for unit, text, as_query in _units(entry)]
        queries = [text for _, _, text, as_query in units if as_query]
        passages = [text for _, _, text, as_query in units if not as_query]
        vectors_q = iter(self.embedder.queries(queries) if queries else [])
        vectors_p = iter(self.embedder.passages(passages) if passages else [])
        batches: dict[int, dict[str, list[Any]]] = {}
        for entry, unit, text, as_query in units:
            meta = {"entry_id": entry.id, "unit": unit, "community_id": _key(entry.community_id)}
            if unit == "q0":
                meta.update(entry.to_metadata())
            batch = batches.setdefault(_key(entry.community_id),
                                       {"ids": [], "embeddings": [], "documents": [], "metadatas": []})
            batch["ids"].append(f"{entry.id}:{unit}")
            batch["embeddings"].append(next(vectors_q) if as_query else next(vectors_p))
            batch["documents"].append(text)
            batch["metadatas"].append(meta)
        for key, batch in batches.items():
            collection = self.store.collection(key, create=True)
            for start in range(0, len(batch["ids"]), 500):
                part = {name: values[start:start + 500] for name, values in batch.items()}
                collection.upsert(ids=part["ids"], embeddings=np.asarray(part["embeddings"]),
                                  documents=part["documents"], metadatas=part["metadatas"])
        with self._lock:
            for entry in changed:
                self._entries[entry.id] = entry
            self._bm25.clear()
            self._vectors.clear()
        return len(changed)

    def remove(self, entry_ids: list[str]) -> int:
        """Forget entries by id; unknown ids are ignored. Returns how many were removed."""
        known = [i for i in entry_ids if i in self._entries]
        if known:
            self._delete_units(known)
            with self._lock:
                for entry_id in known:
                    self._entries.pop(entry_id, None)
                self._bm25.clear()
                self._vectors.clear()
        return len(known)

    def _delete_units(self, entry_ids: list[str]) -> None:
        by_key: dict[int, list[str]] = {}
        for entry_id in entry_ids:
            by_key.setdefault(_key(self._entries[entry_id].community_id), []).append(entry_id)
        for key, ids in by_key.items():
            collection = self.store.collection(key)
            for start in range(0, len(ids), 200) if collection is not None else ():
                collection.delete(where={"entry_id": {"$in": ids[start:start + 200]}})

    # --- reading ---

    def entry(self, entry_id: str) -> KnowledgeEntry | None:
        return self._entries.get(entry_id)

    def entries(self, community_id: int | None = None) -> list[KnowledgeEntry]:
        """All entries, or those a community sees (its own plus shared)."""
        if community_id is None:
            return list(self._entries.values())
        return [e for e in self._entries.values() if e.community_id in (community_id, None)]

    def vector_search(self, community_id: int, question: str, *, limit: int = 10) -> list[Hit]:
        """Entries by vectors alone: the ranking by question similarity and the ranking by answer-passage
        similarity, fused (synonyms rewritten first)."""
        return self._fuse(self._vector_hits(community_id, question), [], limit)

    def query_vector(self, question: str) -> np.ndarray:
        """The question's L2-normalised vector, as every vector search here embeds it."""
        return query_vector(self.embedder, question)

    def _vector_hits(self, community_id: int, question: str, query: np.ndarray | None = None) -> dict[str, Hit]:
        if not self._entries:
            return {}
        query = self.query_vector(question) if query is None else query
        hits: dict[str, Hit] = {}
        for key in (community_id, SHARED):
            unit_ids, matrix = self._matrix(key)
            if not unit_ids:
                continue
            # einsum, not `matrix @ query`: BLAS would wake its thread pool, whose spinning threads cost a second
            # core for milliseconds after every question (measured: CPU time twice the wall time).
            sims = np.einsum("ij,j->i", matrix, query)
            top = min(VECTOR_UNITS, len(sims))
            nearest = np.argpartition(-sims, top - 1)[:top]
            for position in nearest:
                unit_id, sim = unit_ids[position], float(sims[position])
                entry_id, _, unit = unit_id.rpartition(":")
                entry = self._entries.get(entry_id)
                if entry is None or entry.community_id not in (community_id, None):
                    continue
                hit = hits.setdefault(entry.id, Hit(entry=entry, score=0.0))
                if unit == "a" or unit.startswith("s"):
                    hit.passage_sim = max(hit.passage_sim, sim)
                    if unit == "a":
                        hit.answer_sim = sim
                else:
                    hit.question_sim = max(hit.question_sim, sim)
                hit.vector_sim = max(hit.vector_sim, sim)
        return hits

    def _matrix(self, key: int) -> tuple[list[str], np.ndarray]:
        """The collection's unit ids and L2-normalised vectors (cosine = dot), read from Chroma once per change."""
        with self._lock:
            cached = self._vectors.get(key)
        if cached is not None:
            return cached
        collection = self.store.collection(key)
        if collection is None:
            return [], np.zeros((0, 0), dtype=np.float32)
        stored = collection.get(include=["embeddings"])
        if not stored["ids"]:  # a scope emptied by deletions: numpy cannot reshape nothing into rows
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray(stored["embeddings"], dtype=np.float32).reshape(len(stored["ids"]), -1)
        matrix = normalised(matrix)
        cached = (list(stored["ids"]), matrix)
        with self._lock:
            self._vectors[key] = cached
        return cached

    def bm25_search(self, community_id: int, question: str, *, limit: int = 10, plain: bool = False) -> list[Hit]:
        """Entries by BM25 over jieba tokens (domain dictionary + synonyms; `plain`: the plain-jieba baseline)."""
        ids, bm25 = self._bm25_for(community_id, plain)
        tokens = (plain_tokens if plain else domain_tokens)(truncate(question))
        if bm25 is None or not tokens:
            return []
        scores = bm25.get_scores(tokens)
        order = np.argsort(-scores)[:limit]
        return [Hit(entry=self._entries[ids[i]], score=float(scores[i]), bm25=float(scores[i]), bm25_rank=rank)
                for rank, i in enumerate(order, 1) if scores[i] > 0]

    @property
    def reranker(self) -> Reranker | None:
        if self._reranker is True:
            self._reranker = default_reranker()
        return self._reranker or None

    @reranker.setter
    def reranker(self, reranker: Reranker | None) -> None:
        self._reranker = reranker

    def search(self, community_id: int, question: str, *, limit: int = 10, vector: np.ndarray | None = None,
               rerank: bool = True) -> list[Hit]:
        """Hybrid: question-vector, answer-vector and BM25 rankings fused by weighted reciprocal rank (RRF), the top
        entries then re-ordered by the learned reranker (knowledge.reranking) unless `rerank` is off.
        `vector`: the question's query_vector when the caller already has it."""
        hits = self._fuse(self._vector_hits(community_id, question, vector),
                          self.bm25_search(community_id, question, limit=max(limit, DEPTH) * 2), max(limit, DEPTH))
        if hits:
            asked = set(domain_tokens(truncate(question), bigrams=False))
            characters = meaningful_characters(truncate(question))
            for hit in hits[:DEPTH]:
                words, text = self._words(hit.entry)
                hit.shared_words = len(asked & words)
                hit.missing_words = len(asked - words)
                hit.char_coverage = sum(c in text for c in characters) / len(characters) if characters else 0.0
            if rerank and (reranker := self.reranker) is not None:
                hits = reranker.order(hits)
        return hits[:limit]

    def _words(self, entry: KnowledgeEntry) -> tuple[frozenset[str], str]:
        """The entry's words (no character pairs) and its folded text, cached by content hash."""
        key = (entry.id, entry.content_hash)
        cached = self._word_sets.get(key)
        if cached is None:
            text = _bm25_text(entry)
            cached = (frozenset(domain_tokens(text, bigrams=False)), folded(text))
            with self._lock:
                if len(self._word_sets) > 20_000:
                    self._word_sets.clear()
                self._word_sets[key] = cached
        return cached

    @staticmethod
    def _fuse(vector_hits: dict[str, Hit], bm25_hits: list[Hit], limit: int) -> list[Hit]:
        hits = dict(vector_hits)
        by_question = sorted((h for h in hits.values() if h.question_sim > 0), key=lambda h: -h.question_sim)
        by_passage = sorted((h for h in hits.values() if h.passage_sim > 0), key=lambda h: -h.passage_sim)
        for rank, hit in enumerate(by_question, 1):
            hit.score += RRF_WEIGHTS["question"] / (RRF_K + rank)
        for rank, hit in enumerate(by_passage, 1):
            hit.score += RRF_WEIGHTS["passage"] / (RRF_K + rank)
        for hit in bm25_hits:
            target = hits.setdefault(hit.entry.id, Hit(entry=hit.entry, score=0.0))
            target.score += RRF_WEIGHTS["bm25"] / (RRF_K + hit.bm25_rank)
            target.bm25, target.bm25_rank = hit.bm25, hit.bm25_rank
        ranked = sorted(hits.values(), key=lambda h: (-h.score, -h.vector_sim))[:limit]
        for rank, hit in enumerate(sorted(ranked, key=lambda h: -h.vector_sim), 1):
            hit.vector_rank = rank
        return ranked

    def _bm25_for(self, community_id: int, plain: bool) -> tuple[list[str], InvertedBM25 | None]:
        key = (community_id, plain)
        with self._lock:
            cached = self._bm25.get(key)
            if cached is None:
                entries = self.entries(community_id)
                tokenize = plain_tokens if plain else domain_tokens
                corpus = [tokenize(_bm25_text(e)) for e in entries]
                cached = ([e.id for e in entries], InvertedBM25(corpus) if corpus else None)
                self._bm25[key] = cached
            return cached


def _units(entry: KnowledgeEntry) -> list[tuple[str, str, bool]]:
    """What gets a vector: the question and each alternative phrasing (embedded as queries, so owner questions meet
    them symmetrically) and the answer or chunk text (embedded as a passage)."""
    units = [("q0", entry.question, True)]
    units += [(f"q{i}", alt, True) for i, alt in enumerate(entry.alternatives, 1) if alt.strip()]
    units.append(("a", f"{entry.question}\n{entry.answer}"[:1000], False))
    sentences = [s.strip() for s in _SENTENCES.split(entry.answer) if len(s.strip()) >= 8]
    if len(sentences) > 1:  # a specific question often matches one sentence of a long answer best
        units += [(f"s{i}", sentence[:300], False) for i, sentence in enumerate(sentences[:12], 1)]
    return units


_SENTENCES = re.compile(r"(?<=[。！？；;])|\n|(?=\d\. )")


def _bm25_text(entry: KnowledgeEntry) -> str:
    return " ".join([entry.question, entry.question, *entry.alternatives, entry.answer])
