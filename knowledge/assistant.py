"""The FAQ assistant's one interface — answer, route, index — built once per process in linli/app.py (or once by a
CLI command) and handed to the bot and the back office.

    question ─► embed (knowledge.embeddings) ─► candidates: Chroma's nearest units, word coverage (knowledge.index)
             ─► one fusion and one confidence (knowledge.ranking) ─► answer | numbered choices | "I don't know"
             ─► with an LLM configured: a grounded rewording of the top passages (knowledge.llm)

Nothing here raises to the caller because an LLM or an endpoint failed: the retrieval-only path always answers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from knowledge import messages
from knowledge.embeddings import Embedder, build_embedder
from knowledge.entries import KnowledgeEntry
from knowledge.index import Candidate, KnowledgeIndex, open_chroma, sentences
from knowledge.intents import IntentGuess, IntentSpec, OfflineIntentClassifier
from knowledge.ranking import rank
from knowledge.small_talk import small_talk_reply
from knowledge.text import MAX_QUESTION_CHARS
from workflows.settings import Settings

log = logging.getLogger(__name__)
DEFAULTS = Settings.model_fields
MAX_ANSWER_CHARS = 600
EXCERPT_CHARS = 160  # a document chunk is answered with its sentences nearest the question, up to this length


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
                 answer_at: float = DEFAULTS["faq_answer_at"].default,
                 choices_at: float = DEFAULTS["faq_choices_at"].default) -> None:
        self.index = index
        self.classifier = classifier
        self.llm = llm  # knowledge.llm.LlmClient, or None (retrieval-only)
        self.answer_at, self.choices_at = answer_at, choices_at
        self._embed_lock = threading.Lock()  # one embedding at a time: the model is shared

    # --- answer ---

    async def answer(self, *, community_id: int | None, question: str) -> Answer:
        """Answer an owner's question from the community's knowledge (own + shared entries); community None: from
        the shared entries only (an owner not bound to any community yet)."""
        text = (question or "").strip()
        if not text:
            return Answer(kind="unknown", text=messages.EMPTY_QUESTION)
        if (reply := small_talk_reply(text)) is not None:
            return Answer(kind="chat", text=reply)
        too_long = len(text) > MAX_QUESTION_CHARS
        text = text[:MAX_QUESTION_CHARS]
        try:
            ranked = await asyncio.to_thread(self.search, community_id, text)
        except Exception:  # noqa: BLE001 - an embeddings endpoint or Chroma down must not break the chat
            log.exception("knowledge search failed")
            return Answer(kind="unknown", text=messages.UNKNOWN)
        sure = ranked[0].confidence if ranked else 0.0
        if self.llm is not None and ranked and sure >= self.choices_at:
            grounded = await self.llm.grounded_answer(question=text, hits=ranked[:3])
            if grounded is not None:
                grounded.confidence = max(sure, grounded.confidence)
                return grounded
        if ranked and sure >= self.answer_at:
            return entry_answer(ranked[0].entry, confidence=sure, sentence=ranked[0].best_sentence)
        if ranked and sure >= self.choices_at:
            choices = [(c.entry.question, c.entry.id) for c in ranked[:3]]
            lines = [messages.CHOICES_INTRO] + [f"{i}. {q}" for i, (q, _) in enumerate(choices, 1)]
            return Answer(kind="choices", text="\n".join([*lines, messages.CHOICES_OUTRO]), choices=choices,
                          confidence=sure)
        return Answer(kind="unknown", text=messages.UNKNOWN_TOO_LONG if too_long else messages.UNKNOWN,
                      confidence=sure)

    async def answer_entry(self, *, community_id: int | None, entry_id: str) -> Answer:
        """The answer of one entry (the owner picked a numbered choice); other communities' entries are not shown."""
        entry = self.index.entry(str(entry_id))
        if entry is None or entry.community_id not in (community_id, None):
            return Answer(kind="unknown", text=messages.ENTRY_GONE)
        return entry_answer(entry, confidence=1.0)

    def search(self, community_id: int | None, question: str) -> list[Candidate]:
        """The community's entries (None: the shared ones) for this question, best first, with their confidence."""
        with self._embed_lock:
            candidates = self.index.candidates(community_id, question)
        return rank(candidates)

    def load_model(self) -> None:
        """Load the embedding model now (a web process, before it freezes its start-up heap); else the first
        embedding loads it."""
        load = getattr(self.index.embedder, "load", None)
        if load is not None:
            load()

    def warm(self, intents: list[IntentSpec] | None = None) -> None:
        """Load what the first message would otherwise wait for: given the bot's intents (its dialogs' declared
        language), their examples' vectors and the routing regression."""
        if intents:
            with self._embed_lock:
                self.classifier.prepare(intents)

    # --- route ---

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
            return await asyncio.to_thread(self._locked, self.classifier.classify, text, intents)
        except Exception:  # noqa: BLE001 - routing falls back to the FAQ answerer
            log.exception("offline intent classification failed")
            return IntentGuess(intent=None, confidence=0.0)

    # --- index (the import glue, the back office and linli.knowledge_sync keep it in step with the FAQ table) ---

    async def index_entries(self, entries: list[KnowledgeEntry]) -> int:
        """Add or update entries in the index (unchanged content hashes cost nothing)."""
        return await asyncio.to_thread(self._locked, self.index.upsert, entries)

    async def remove_entries(self, ids: list[str]) -> int:
        """Drop entries from the index by id."""
        return await asyncio.to_thread(self._locked, self.index.remove, [str(i) for i in ids])

    def _locked(self, function: Any, *args: Any) -> Any:
        with self._embed_lock:
            return function(*args)


def entry_answer(entry: KnowledgeEntry, *, confidence: float, sentence: int | None = None) -> Answer:
    """The entry's own answer with its citation; of a document chunk, only its sentences nearest the question."""
    body = excerpt(entry.answer, sentence) if entry.kind == "doc" and sentence else entry.answer.strip()
    if len(body) > MAX_ANSWER_CHARS:
        body = body[:MAX_ANSWER_CHARS].rstrip() + "…"
    citation = entry.citation or entry.question
    return Answer(kind="answer", text=f"{body}\n{messages.CITATION.format(citation=citation)}", entry_id=entry.id,
                  confidence=confidence, citations=[citation])


def excerpt(text: str, sentence: int, limit: int = EXCERPT_CHARS) -> str:
    """Sentence number `sentence` (1-based, as knowledge.index numbers them) and its neighbours while they fit."""
    parts = sentences(text)
    if not 1 <= sentence <= len(parts):
        return text.strip()
    first = last = sentence - 1
    while True:
        grown = False
        for candidate in (last + 1, first - 1):
            if 0 <= candidate < len(parts) and sum(map(len, parts[min(first, candidate):max(last, candidate) + 1])
                                                   ) <= limit:
                first, last, grown = min(first, candidate), max(last, candidate), True
        if not grown:
            return "".join(parts[first:last + 1])


def build_assistant(settings: Settings, *, embedder: Embedder | None = None) -> Assistant:
    """The assistant for these settings (call once per process: linli/app.py, or a CLI command)."""
    embedder = embedder or build_embedder(settings)
    index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
    llm = None
    if settings.llm_enabled:
        from knowledge.llm import LlmClient

        llm = LlmClient(settings)
    return Assistant(index=index, classifier=OfflineIntentClassifier(embedder, store=index.store), llm=llm,
                     answer_at=settings.faq_answer_at, choices_at=settings.faq_choices_at)


async def update_index(assistant: Assistant | None, *, upsert: list[Any] = (), remove: list[Any] = ()) -> None:
    """For the back office after a FAQ change (转为常见问题, edits): index these entries (KnowledgeEntry or FAQ rows)
    and drop those ids in this process's index at once (the other processes follow within a second:
    linli.knowledge_sync)."""
    if assistant is None:
        return
    entries = [e if isinstance(e, KnowledgeEntry) else KnowledgeEntry.from_row(e) for e in upsert]
    if entries:
        await assistant.index_entries(entries)
    if remove:
        await assistant.remove_entries([str(i) for i in remove])
