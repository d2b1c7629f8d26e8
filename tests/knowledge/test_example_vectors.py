"""Labelled sentences' vectors: embedded once, kept in Chroma, read back by a new process, replaced when they change."""

from __future__ import annotations

import numpy as np

from knowledge import example_vectors
from knowledge.example_vectors import ExampleVectors
from knowledge.index import open_chroma
from knowledge.intents import IntentSpec, OfflineIntentClassifier
from tests.services import test_settings


class CountingEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.embedded = inner, inner.name, 0

    def queries(self, texts):
        self.embedded += len(texts)
        return self.inner.queries(texts)

    def passages(self, texts):
        return self.inner.passages(texts)


def test_labelled_vectors_are_kept_in_chroma_and_read_back_by_a_new_process(tmp_path, embedder, monkeypatch):
    texts = ["银行卡丢了怎么挂失", "明天会下雨吗", "医院几点挂号"]
    store = open_chroma(test_settings(tmp_path), embedder.name)
    first = CountingEmbedder(embedder)
    vectors = ExampleVectors("examples", texts, first, store=store).matrix()
    assert first.embedded == 3 and vectors.shape[0] == 3

    monkeypatch.setattr(example_vectors, "_MATRICES", {})  # a new process: nothing in memory
    second = CountingEmbedder(embedder)
    again = ExampleVectors("examples", texts, second, store=open_chroma(test_settings(tmp_path), embedder.name))
    assert np.allclose(again.matrix(), vectors, atol=1e-5) and second.embedded == 0

    changed = texts[:2] + ["医院周末开门吗"]  # the sentences changed: embedded again, old rows replaced
    monkeypatch.setattr(example_vectors, "_MATRICES", {})
    third = CountingEmbedder(embedder)
    ExampleVectors("examples", changed, third, store=store).matrix()
    assert third.embedded == 3 and store.named("examples").count() == 3


def test_the_intent_examples_are_read_back_too(tmp_path, embedder, monkeypatch):
    intents = [IntentSpec(name="repair", description="报修", examples=["水管漏了", "灯坏了", "卫生间漏水"])]
    OfflineIntentClassifier(CountingEmbedder(embedder),
                            store=open_chroma(test_settings(tmp_path), embedder.name)).prepare(intents)
    monkeypatch.setattr(example_vectors, "_MATRICES", {})
    counting = CountingEmbedder(embedder)
    classifier = OfflineIntentClassifier(counting, store=open_chroma(test_settings(tmp_path), embedder.name))
    guess = classifier.classify("卫生间水管漏水了", intents)
    assert guess.intent == "repair" and counting.embedded == 1  # only the owner's message was embedded


def test_without_a_store_the_vectors_are_embedded_once_per_process(embedder, monkeypatch):
    monkeypatch.setattr(example_vectors, "_MATRICES", {})
    counting = CountingEmbedder(embedder)
    first = ExampleVectors("test", ["今天几号", "明天下雨吗"], counting).matrix()
    again = ExampleVectors("test", ["今天几号", "明天下雨吗"], counting).matrix()
    assert counting.embedded == 2 and np.array_equal(first, again)
