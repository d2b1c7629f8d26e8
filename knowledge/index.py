"""The knowledge index: each entry's vectors in Chroma (a persistent folder, or a Chroma server), found by Chroma's
own nearest-neighbour query, and how much of a question each entry's text holds (jieba words, meaningful characters).
Per community, plus the entries every community shares. What it returns are candidates with their signals;
knowledge.ranking orders them.

What gets a vector (an entry's "units"): its question and each alternative phrasing, embedded as queries (so an
owner's question meets them symmetrically); the question with its answer, and each sentence of a longer answer or
document chunk, embedded as passages (e5's `passage:` form)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder, query_vector
from knowledge.entries import KnowledgeEntry
from knowledge.text import domain_tokens, folded, meaningful_characters, truncate
from workflows.settings import Settings

SHARED = -1  # Chroma metadata cannot hold None: shared entries are stored with community -1
INDEX_LAYOUT = "v4"  # bump when units() changes: the sync (linli.knowledge_sync) fills the new collections
NEAREST_UNITS = 120  # units asked of Chroma per scope (an entry has 2-18)


@dataclass
class Candidate:
    """One entry as a question meets it: the signals knowledge.ranking weighs."""

    entry: KnowledgeEntry
    question_sim: float = 0.0  # best cosine of the question to the entry's question or alternative phrasings
    passage_sim: float = 0.0  # best cosine to its question + answer passage, or one sentence of its answer
    word_coverage: float = 0.0  # share of the question's words the entry's text holds
    char_coverage: float = 0.0  # share of the question's meaningful characters the entry's text holds
    best_sentence: int | None = None  # the answer's sentence (units s1, s2, …) nearest to the question
    score: float = 0.0  # knowledge.ranking: the fused score
    confidence: float = 0.0  # knowledge.ranking: how likely this entry answers the question


class ChromaStore:
    """One Chroma collection per community plus one for shared entries, per embedder (vector sizes never mix), so a
    query needs no metadata filter."""

    def __init__(self, client: Any, embedder_name: str) -> None:
        self.client = client
        self.prefix = f"linli-{INDEX_LAYOUT}-" + re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder_name).strip("-.")[:40]
        self._collections: dict[int, Any] = {}
        self.refresh()

    def refresh(self) -> None:
        """Learn the collections that exist (another process may have created some)."""
        for collection in self.client.list_collections():
            name = collection if isinstance(collection, str) else collection.name
            if name.startswith(self.prefix + "-c"):
                suffix = name[len(self.prefix) + 2:]
                key = SHARED if suffix == "shared" else int(suffix)
                self._collections.setdefault(key, self.client.get_collection(name, embedding_function=None))

    def collection(self, key: int, *, create: bool = False) -> Any | None:
        """The collection of a community (SHARED: the shared entries)."""
        if key not in self._collections and create:
            # embedding_function=None: vectors are always passed in, chromadb's default model is never loaded.
            self._collections[key] = self.named(f"c{'shared' if key == SHARED else key}")
        return self._collections.get(key)

    def named(self, suffix: str) -> Any:
        """A collection of this embedder for something other than entries (e.g. the labelled sentences)."""
        return self.client.get_or_create_collection(f"{self.prefix}-{suffix}", embedding_function=None,
                                                    configuration={"hnsw": {"space": "cosine"}})

    def all(self) -> list[Any]:
        return list(self._collections.values())


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
        settings.ensure_local_dirs()
        client = chromadb.PersistentClient(path=settings.chroma_path, settings=chroma_settings)
    return ChromaStore(client, embedder_name)


def _key(community_id: int | None) -> int:
    return SHARED if community_id is None else community_id


class KnowledgeIndex:
    """Entries in Chroma (vectors, and the entry itself in its first unit's metadata), read back into memory at start
    and after a change made elsewhere (reload)."""

    def __init__(self, *, store: ChromaStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._entries: dict[str, KnowledgeEntry] = {}
        self._words: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
        self._lock = threading.RLock()
        self.reload()

    # --- keeping the index in step with the system of record (linli.knowledge_sync) ---

    def reload(self) -> None:
        """Read the entries back from the collections' metadata (Chroma may have been changed by another process)."""
        self.store.refresh()
        entries = {}
        for collection in self.store.all():
            for meta in collection.get(where={"unit": "q0"}, include=["metadatas"])["metadatas"] or []:
                community = None if meta["community_id"] == SHARED else meta["community_id"]
                entry = KnowledgeEntry.from_metadata(meta["entry_id"], community, meta)
                entries[entry.id] = entry
        with self._lock:
            self._entries = entries

    def upsert(self, entries: list[KnowledgeEntry]) -> int:
        """Add or replace entries (by id); unchanged ones cost nothing. Returns how many changed."""
        changed = [e for e in entries if self._entries.get(e.id) != e]
        if not changed:
            return 0
        self._delete_units([e.id for e in changed if e.id in self._entries])
        rows = [(entry, unit, text, as_query) for entry in changed for unit, text, as_query in units(entry)]
        queries = iter(self._embed([text for _, _, text, q in rows if q], self.embedder.queries))
        passages = iter(self._embed([text for _, _, text, q in rows if not q], self.embedder.passages))
        batches: dict[int, list[tuple[str, np.ndarray, str, dict[str, Any]]]] = {}
        for entry, unit, text, as_query in rows:
            meta = {"entry_id": entry.id, "unit": unit, "community_id": _key(entry.community_id)}
            if unit == "q0":
                meta.update(entry.to_metadata())
            vector = next(queries) if as_query else next(passages)
            batches.setdefault(_key(entry.community_id), []).append((f"{entry.id}:{unit}", vector, text, meta))
        for key, batch in batches.items():
            collection = self.store.collection(key, create=True)
            for start in range(0, len(batch), 500):
                ids, vectors, texts, metas = zip(*batch[start:start + 500], strict=True)
                collection.upsert(ids=list(ids), embeddings=np.asarray(vectors), documents=list(texts),
                                  metadatas=list(metas))
        with self._lock:
            self._entries.update((entry.id, entry) for entry in changed)
        return len(changed)

    @staticmethod
    def _embed(texts: list[str], embed: Any) -> list[np.ndarray]:
        # In batches: one call over a thousand texts pads them all to the longest and holds every activation.
        return [vector for start in range(0, len(texts), 64) for vector in embed(texts[start:start + 64])]

    def remove(self, entry_ids: list[str]) -> int:
        """Forget entries by id; unknown ids are ignored. Returns how many were removed."""
        known = [i for i in entry_ids if i in self._entries]
        self._delete_units(known)
        with self._lock:
            for entry_id in known:
                self._entries.pop(entry_id, None)
        return len(known)

    def _delete_units(self, entry_ids: list[str]) -> None:
        by_key: dict[int, list[str]] = {}
        for entry_id in entry_ids:
            by_key.setdefault(_key(self._entries[entry_id].community_id), []).append(entry_id)
        for key, ids in by_key.items():
            if (collection := self.store.collection(key)) is not None:
                for start in range(0, len(ids), 200):
                    collection.delete(where={"entry_id": {"$in": ids[start:start + 200]}})

    # --- reading ---

    def entry(self, entry_id: str) -> KnowledgeEntry | None:
        return self._entries.get(entry_id)

    def entries(self, community_id: int | None = None) -> list[KnowledgeEntry]:
        """All entries, or those a community sees (its own plus shared)."""
        if community_id is None:
            return list(self._entries.values())
        return [e for e in self._entries.values() if e.community_id in (community_id, None)]

    def query_vector(self, question: str) -> np.ndarray:
        return query_vector(self.embedder, question)

    def candidates(self, community_id: int | None, question: str, *,
                   vector: np.ndarray | None = None) -> list[Candidate]:
        """The entries nearest to the question by vectors (Chroma's query, in the community's and the shared
        collection; None: the shared collection only), each with its signals; unordered."""
        question = truncate(question)
        vector = self.query_vector(question) if vector is None else vector
        found: dict[str, Candidate] = {}
        for key in (SHARED,) if community_id is None else (community_id, SHARED):
            collection = self.store.collection(key)
            if collection is None:
                continue
            # Distances only: the unit's id names its entry and unit, and the entries are in memory. Reading the
            # metadata back (the whole entry rides on q0) was ~70 % of a query's cost; Chroma (>= 1.0) answers fewer
            # than NEAREST_UNITS, or none, from a small or empty scope, so no count() first (~0.2-0.7 ms each).
            result = collection.query(query_embeddings=[vector], n_results=NEAREST_UNITS, include=["distances"])
            for distance, unit_id in zip(result["distances"][0], result["ids"][0], strict=True):
                entry_id, _, unit = unit_id.rpartition(":")
                entry = self._entries.get(entry_id)
                if entry is None:
                    continue
                candidate = found.setdefault(entry.id, Candidate(entry=entry))
                sim = 1.0 - float(distance)
                if unit.startswith("q"):
                    candidate.question_sim = max(candidate.question_sim, sim)
                elif sim > candidate.passage_sim:
                    candidate.passage_sim = sim
                    candidate.best_sentence = int(unit[1:]) if unit.startswith("s") else candidate.best_sentence
        self._add_coverage(question, found.values())
        return list(found.values())

    def search(self, community_id: int | None, question: str) -> list[Candidate]:
        """The candidates ranked by knowledge.ranking, best first."""
        from knowledge.ranking import rank

        return rank(self.candidates(community_id, question))

    def _add_coverage(self, question: str, candidates: Any) -> None:
        asked = set(domain_tokens(question, bigrams=False))
        characters = meaningful_characters(question)
        for candidate in candidates:
            words, text = self._words_of(candidate.entry)
            candidate.word_coverage = len(asked & words) / len(asked) if asked else 0.0
            candidate.char_coverage = sum(c in text for c in characters) / len(characters) if characters else 0.0

    def _words_of(self, entry: KnowledgeEntry) -> tuple[frozenset[str], str]:
        """The entry's words (no character pairs) and its folded text, cached by content hash."""
        key = (entry.id, entry.content_hash)
        cached = self._words.get(key)
        if cached is None:
            text = entry_text(entry)
            cached = self._words[key] = (frozenset(domain_tokens(text, bigrams=False)), folded(text))
        return cached


_SENTENCES = re.compile(r"(?<=[。！？；;!?])|\n")


def sentences(text: str) -> list[str]:
    """The sentences of an answer or chunk (。！？； and line ends), as the units s1, s2, … number them."""
    return [s.strip() for s in _SENTENCES.split(text) if s and s.strip()]


def units(entry: KnowledgeEntry) -> list[tuple[str, str, bool]]:
    """(unit id, text, embedded as a query?) for each vector of the entry."""
    rows = [("q0", folded(entry.question), True)]
    rows += [(f"q{i}", folded(alt), True) for i, alt in enumerate(entry.alternatives, 1) if alt.strip()]
    rows.append(("a", f"{entry.question}\n{entry.answer}"[:1000], False))
    parts = sentences(entry.answer)
    if len(parts) > 1:  # a specific question often meets one sentence of a long answer best
        rows += [(f"s{i}", part[:300], False) for i, part in enumerate(parts[:16], 1) if len(part) >= 6]
    return rows


def entry_text(entry: KnowledgeEntry) -> str:
    return " ".join([entry.question, *entry.alternatives, entry.answer])
