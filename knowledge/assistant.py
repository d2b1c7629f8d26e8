"""The FAQ assistant the bot calls: grounded answers with citations, numbered choices, honest "I don't know",
and intent routing. Built once per process by build_assistant(settings).

Nothing here raises to the caller because an LLM or an endpoint failed: the retrieval-only path always answers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from knowledge import messages
from knowledge.calibration import Calibrator, default_calibrator
from knowledge.embeddings import Embedder, build_embedder
from knowledge.entries import KnowledgeEntry
from knowledge.index import Hit, KnowledgeIndex, open_chroma
from knowledge.intents import IntentGuess, IntentSpec, OfflineIntentClassifier
from knowledge.off_topic import OffTopicBank
from knowledge.small_talk import small_talk_reply
from knowledge.text import MAX_QUESTION_CHARS
from workflows.settings import Settings

log = logging.getLogger(__name__)
MAX_ANSWER_CHARS = 600


@dataclass
class Answer:
    kind: str  # answer | choices | unknown | chat (a kind reply to thanks, ok, goodbye)
    text: str  # owner-ready Chinese, the citation included for answers
    choices: list[tuple[str, str]] = field(default_factory=list)  # (question, entry_id)
    entry_id: str | None = None
    confidence: float = 0.0
    citations: list[str] = field(default_factory=list)
    source: str = "retrieval"  # retrieval | llm


class Assistant:
    def __init__(self, *, index: KnowledgeIndex, classifier: OfflineIntentClassifier, llm: Any = None,
                 off_topic: OffTopicBank | None = None, calibrator: Calibrator | None = None) -> None:
        self.index = index
        self._calibrator = calibrator  # the shipped one is loaded at first use: `linli kb calibrate` needs none
        self.classifier = classifier
        self.off_topic = off_topic or OffTopicBank(index.embedder, store=index.store)
        self.llm = llm  # knowledge.llm.LlmClient, or None (retrieval-only)
        self._embed_lock = threading.Lock()  # one embedding at a time: the model is shared

    @property
    def calibrator(self) -> Calibrator:
        if self._calibrator is None:
            self._calibrator = default_calibrator()
        return self._calibrator

    # --- answering ---

    async def answer(self, *, community_id: int, question: str) -> Answer:
        """Answer an owner's question from the community's knowledge (own + shared entries)."""
        text = (question or "").strip()
        if not text:
            return Answer(kind="unknown", text=messages.EMPTY_QUESTION)
        if (reply := small_talk_reply(text)) is not None:
            return Answer(kind="chat", text=reply)
        too_long = len(text) > MAX_QUESTION_CHARS
        text = text[:MAX_QUESTION_CHARS]
        try:
            hits, off_topic_sim = await asyncio.to_thread(self.search_with_off_topic, community_id, text)
        except Exception:  # noqa: BLE001 - an embeddings endpoint or Chroma down must not break the chat
            log.exception("knowledge search failed")
            return Answer(kind="unknown", text=messages.UNKNOWN)
        sure = self.calibrator.probability(text, hits, off_topic_sim)
        if self.llm is not None and hits and sure >= self.calibrator.choices_at:
            grounded = await self.llm.grounded_answer(question=text, hits=hits[:3])
            if grounded is not None:
                grounded.confidence = max(sure, grounded.confidence)
                return grounded
        return self.retrieval_answer(hits, sure, too_long=too_long)

    def retrieval_answer(self, hits: list[Hit], sure: float, *, too_long: bool = False) -> Answer:
        """The no-LLM answer: the FAQ's own answer, numbered choices, or an honest "I don't know"."""
        if hits and sure >= self.calibrator.answer_at:
            return entry_answer(hits[0].entry, confidence=sure)
        if hits and sure >= self.calibrator.choices_at:
            choices = [(h.entry.question, h.entry.id) for h in hits[:3]]
            lines = [messages.CHOICES_INTRO] + [f"{i}. {q}" for i, (q, _) in enumerate(choices, 1)]
            return Answer(kind="choices", text="\n".join([*lines, messages.CHOICES_OUTRO]), choices=choices,
                          confidence=sure)
        return Answer(kind="unknown", text=messages.UNKNOWN_TOO_LONG if too_long else messages.UNKNOWN,
                      confidence=sure)

    async def answer_entry(self, *, community_id: int, entry_id: str) -> Answer:
        """The answer of one entry (the owner picked a numbered choice); other communities' entries are not shown."""
        entry = self.index.entry(str(entry_id))
        if entry is None or entry.community_id not in (community_id, None):
            return Answer(kind="unknown", text=messages.ENTRY_GONE)
        return entry_answer(entry, confidence=1.0)

    def search_with_off_topic(self, community_id: int, question: str) -> tuple[list[Hit], float]:
        """The ranked entries and the similarity of the nearest out-of-scope example (one embedding for both)."""
        with self._embed_lock:
            vector = self.index.query_vector(question)
            hits = self.index.search(community_id, question, limit=10, vector=vector)
            return hits, (self.off_topic.similarity(question, vector) if hits else 0.0)

    def warm(self) -> None:
        """Load what the first message would otherwise wait for: the labelled sentences' vectors."""
        with self._embed_lock:
            self.off_topic.matrix()
            self.classifier.warm()

    # --- intent routing ---

    async def route(self, *, text: str, intents: list[IntentSpec]) -> IntentGuess:
        """Which of the given intents the text is for (LLM tool call, else the offline classifier)."""
        text = (text or "").strip()[:MAX_QUESTION_CHARS]
        if not text or not intents:
            return IntentGuess(intent=None, confidence=0.0)
        if self.llm is not None:
            guess = await self.llm.route(text=text, intents=intents)
            if guess is not None:
                return guess
        try:
            return await asyncio.to_thread(self._classify, text, intents)
        except Exception:  # noqa: BLE001 - routing falls back to the FAQ answerer
            log.exception("offline intent classification failed")
            return IntentGuess(intent=None, confidence=0.0)

    def _classify(self, text: str, intents: list[IntentSpec]) -> IntentGuess:
        with self._embed_lock:
            return self.classifier.classify(text, intents)

    # --- keeping the index in step (used by the import glue and the back office) ---

    async def index_entries(self, entries: list[KnowledgeEntry]) -> int:
        """Add or update entries in the index (unchanged content hashes cost nothing)."""
        return await asyncio.to_thread(self._locked, self.index.upsert, entries)

    async def remove_entries(self, ids: list[str]) -> int:
        """Drop entries from the index by id."""
        return await asyncio.to_thread(self._locked, self.index.remove, [str(i) for i in ids])

    def _locked(self, function: Any, *args: Any) -> Any:
        with self._embed_lock:
            return function(*args)


def entry_answer(entry: KnowledgeEntry, *, confidence: float) -> Answer:
    body = entry.answer.strip()
    if len(body) > MAX_ANSWER_CHARS:
        body = body[:MAX_ANSWER_CHARS].rstrip() + "…"
    citation = entry.citation or entry.question
    return Answer(kind="answer", text=f"{body}\n{messages.CITATION.format(citation=citation)}", entry_id=entry.id,
                  confidence=confidence, citations=[citation])


_ASSISTANTS: dict[tuple[str, str, str], Assistant] = {}
_BUILD_LOCK = threading.Lock()


def build_assistant(settings: Settings, *, embedder: Embedder | None = None) -> Assistant:
    """The assistant for these settings; one per process and Chroma location, so the bot and the back office
    (which updates the index after a staff answer becomes a FAQ entry) share one in-memory BM25 side."""
    key = (settings.chroma_url or settings.chroma_path, settings.embeddings_base_url, settings.llm_base_url)
    with _BUILD_LOCK:
        if key in _ASSISTANTS and embedder is None:
            return _ASSISTANTS[key]
        embedder = embedder or build_embedder(settings)
        if not settings.chroma_url:
            settings.ensure_local_dirs()
        index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
        llm = None
        if settings.llm_enabled:
            from knowledge.llm import LlmClient

            llm = LlmClient(settings)
        assistant = Assistant(index=index, classifier=OfflineIntentClassifier(embedder, store=index.store), llm=llm)
        _ASSISTANTS[key] = assistant
        return assistant


async def update_index(settings: Settings, *, upsert: list[Any] = (), remove: list[Any] = ()) -> None:
    """For callers without an assistant at hand (the back office after 转为常见问题, `linli kb import`): index these
    entries (KnowledgeEntry or FAQ rows) and drop those ids, in this process's shared index."""
    assistant = build_assistant(settings)
    entries = [e if isinstance(e, KnowledgeEntry) else KnowledgeEntry.from_row(e) for e in upsert]
    if entries:
        await assistant.index_entries(entries)
    if remove:
        await assistant.remove_entries([str(i) for i in remove])
