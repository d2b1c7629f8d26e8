"""KnowledgeEntry: one answerable unit (a FAQ row or a document chunk) as plain values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str  # the system of record's id, as text (workflows.faq FaqEntry.id)
    community_id: int | None  # None: shared by every community
    question: str  # the FAQ question, or a document chunk's title
    answer: str  # the FAQ answer, or the chunk text
    citation: str = ""  # shown as 「依据：物业服务指南·缴费」
    alternatives: tuple[str, ...] = ()  # other ways owners ask it
    category: str = ""
    kind: str = "faq"  # faq | doc
    content_hash: str = field(default="")

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", entry_hash(self.question, self.answer, self.alternatives,
                                                                self.category, self.citation))

    @classmethod
    def from_row(cls, row: Any) -> KnowledgeEntry:
        """From any object with the FAQ row's attributes (workflows.faq.models.FaqEntry), without importing it."""
        return cls(id=str(row.id), community_id=row.community_id, question=row.question, answer=row.answer,
                   citation=row.citation or "", alternatives=tuple(row.alternatives or ()),
                   category=row.category or "", kind=row.kind or "faq", content_hash=row.content_hash or "")

    def to_metadata(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "citation": self.citation,
                "alternatives": json.dumps(list(self.alternatives), ensure_ascii=False),
                "category": self.category, "kind": self.kind, "hash": self.content_hash}

    @classmethod
    def from_metadata(cls, entry_id: str, community_id: int | None, meta: dict[str, Any]) -> KnowledgeEntry:
        return cls(id=entry_id, community_id=community_id, question=meta["question"], answer=meta["answer"],
                   citation=meta.get("citation", ""), alternatives=tuple(json.loads(meta.get("alternatives", "[]"))),
                   category=meta.get("category", ""), kind=meta.get("kind", "faq"), content_hash=meta.get("hash", ""))


def entry_hash(question: str, answer: str, alternatives: tuple[str, ...] | list[str] = (), category: str = "",
               citation: str = "") -> str:
    """The content hash that makes re-imports idempotent."""
    payload = json.dumps([question.strip(), answer.strip(), [a.strip() for a in alternatives], category.strip(),
                          citation.strip()], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def fingerprint(versions: dict[str, tuple[int | None, str]]) -> str:
    """A checksum of what an index holds (entry id -> (community, content hash)): the index and the FAQ table agree
    when their counts and fingerprints are equal."""
    lines = "\n".join(f"{entry_id}:{community}:{digest}" for entry_id, (community, digest) in sorted(versions.items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:16]
