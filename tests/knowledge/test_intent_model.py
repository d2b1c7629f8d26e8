"""The logistic regression (scikit-learn) behind intent routing: it learns separable labels, is deterministic, and
its log-probabilities are proper ones."""

from __future__ import annotations

import numpy as np

from knowledge.embeddings import normalised
from knowledge.intent_model import SoftmaxIntents, features_of


def clusters(seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Three labels around three directions of a 16-dim unit sphere; one 0/1 signal that fires for label "b"."""
    rng = np.random.default_rng(seed)
    centres = normalised(rng.normal(size=(3, 16)))
    labels = [name for name in "abc" for _ in range(20)]
    vectors = normalised(np.repeat(centres, 20, axis=0) + 0.3 * rng.normal(size=(60, 16)))
    signals = np.array([[1.0 if label == "b" else 0.0] for label in labels])
    return vectors, signals, labels


def test_it_learns_separable_labels_and_is_deterministic() -> None:
    vectors, signals, labels = clusters(1)
    model = SoftmaxIntents.fit(vectors, signals, labels)
    again = SoftmaxIntents.fit(vectors, signals, labels)
    assert np.array_equal(model.model.coef_, again.model.coef_)
    assert model.labels == ["a", "b", "c"]
    test_vectors, test_signals, test_labels = clusters(1)  # same centres, same noise: the training points
    guesses = [max(lp, key=lp.get) for lp in (model.log_probabilities(v, s)
                                             for v, s in zip(test_vectors, test_signals, strict=True))]
    assert guesses == test_labels


def test_log_probabilities_sum_to_one_and_the_signal_counts() -> None:
    vectors, signals, labels = clusters(2)
    model = SoftmaxIntents.fit(vectors, signals, labels)
    point = vectors[0]  # an "a"
    plain = model.log_probabilities(point, np.array([0.0]))
    flagged = model.log_probabilities(point, np.array([1.0]))
    assert abs(sum(np.exp(list(plain.values()))) - 1) < 1e-9
    assert max(plain, key=plain.get) == "a"
    assert flagged["b"] > plain["b"]  # the signal that came with "b" in training raises "b"


def test_the_fast_log_probabilities_equal_scikit_learn_s():
    rng = np.random.default_rng(7)
    embeddings = rng.normal(size=(60, 8))
    signals = rng.integers(0, 2, size=(60, 3)).astype(float)
    labels = [("a", "b", "c")[i % 3] for i in range(60)]
    model = SoftmaxIntents.fit(embeddings, signals, labels)
    row_e, row_s = embeddings[5], signals[5]
    fast = model.log_probabilities(row_e, row_s)
    slow = model.model.predict_log_proba(features_of(row_e[None, :], row_s[None, :]))[0]
    assert np.allclose([fast[label] for label in model.labels], slow)
