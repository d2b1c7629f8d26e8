"""Keeps this process's FAQ index in step with the FAQ table, the system of record.

At start-up and whenever the table changes (a cheap signal polled every second: the count and the latest change),
and in any case every minute, the index's entries are compared with the table's by id, community and content hash:
missing or changed entries are (re)indexed, entries gone from the table are dropped, and the outcome is checked by
count and checksum (GET /healthz/knowledge). So a missing or stale Chroma folder (a moved data folder, a restored
backup) is rebuilt, and an edit made through one process reaches every other process within about a second, with a
local Chroma folder per process or a shared Chroma server alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from knowledge.entries import KnowledgeEntry, fingerprint
from workflows.faq.service import change_signal, entries_by_id, entry_versions

log = logging.getLogger("linli.knowledge")
FULL_CHECK_S = 60.0  # compared entry by entry at least this often, even when the signal did not move
BATCH = 64


@dataclass(frozen=True)
class IndexStatus:
    entries: int  # in the FAQ table
    checksum: str  # of the table
    indexed: int  # in this process's index
    index_checksum: str

    @property
    def in_step(self) -> bool:
        return (self.entries, self.checksum) == (self.indexed, self.index_checksum)


class IndexSync:
    """One per process: `run_once` is the loop step (linli.app), `sync` the comparison itself (also `linli kb
    reindex`)."""

    def __init__(self, sessions: Any, assistant: Any, *, full_check_s: float = FULL_CHECK_S) -> None:
        self.sessions = sessions
        self.assistant = assistant
        self.full_check_s = full_check_s
        self.status: IndexStatus | None = None
        self._signal: tuple[int, str] | None = None
        self._checked_at = 0.0

    async def run_once(self) -> None:
        async with self.sessions() as session:
            signal = await change_signal(session)
        if signal == self._signal and time.monotonic() - self._checked_at < self.full_check_s:
            return
        await self.sync()
        self._signal = signal

    async def sync(self) -> tuple[int, int]:
        """Make the index hold exactly the table's entries; returns (entries (re)indexed, entries removed)."""
        async with self.sessions() as session:
            table = await entry_versions(session)
        index = self.assistant.index
        await asyncio.to_thread(index.reload)  # another process may have written a shared Chroma server
        held = index_versions(index)
        changed = sorted((i for i, version in table.items() if held.get(i) != version), key=int)
        stale = sorted(set(held) - set(table))
        indexed = 0
        if changed:
            log.info("FAQ index: %d entries to (re)index, %d to remove", len(changed), len(stale))
        for start in range(0, len(changed), BATCH):
            async with self.sessions() as session:
                rows = await entries_by_id(session, entry_ids=[int(i) for i in changed[start:start + BATCH]])
            indexed += await self.assistant.index_entries([KnowledgeEntry.from_row(row) for row in rows])
        removed = await self.assistant.remove_entries(stale) if stale else 0
        held = index_versions(index)
        self.status = IndexStatus(entries=len(table), checksum=fingerprint(table), indexed=len(held),
                                  index_checksum=fingerprint(held))
        self._checked_at = time.monotonic()
        if not self.status.in_step:
            log.warning("FAQ index still differs from the table after a sync: %s", self.status)
        return indexed, removed


def index_versions(index: Any) -> dict[str, tuple[int | None, str]]:
    return {entry.id: (entry.community_id, entry.content_hash) for entry in index.entries()}
