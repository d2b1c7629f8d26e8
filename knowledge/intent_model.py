"""A softmax regression over a message's embedding and its keyword and sentence-form signals, trained on the labelled
examples when the intent classifier warms up (well under a second; deterministic: full batch from zero weights).

The nearest labelled examples say which examples a message resembles; the regression learns which directions of the
embedding space separate the intents, so it carries over better to people who word things differently from the
examples' writers. The classifier adds its log-probabilities to the nearest-example scores (knowledge.intents);
docs/knowledge.md has the figures.
"""

from __future__ import annotations

import numpy as np

from knowledge.fitted import adam

EMBEDDING_SCALE = 10.0  # unit vectors scaled up so their dot products reach the range of the 0/1 signals' weights
L2 = 1e-4
STEPS = 600
STEP_SIZE = 0.05


class SoftmaxIntents:
    """P(intent | message features) for the labels it was fitted on."""

    def __init__(self, labels: list[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels = labels
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, embeddings: np.ndarray, signals: np.ndarray, labels: list[str]) -> SoftmaxIntents:
        """Multinomial logistic regression with a small L2 penalty, fitted by full-batch Adam."""
        names = sorted(set(labels))
        features = features_of(embeddings, signals)
        targets = np.eye(len(names))[[names.index(label) for label in labels]]
        weights = np.zeros((features.shape[1], len(names)))
        bias = np.zeros(len(names))

        def gradients() -> list[np.ndarray]:
            error = _softmax(features @ weights + bias) - targets
            return [features.T @ error / len(features) + L2 * weights, error.mean(axis=0)]

        adam([weights, bias], gradients, steps=STEPS, step_size=STEP_SIZE)
        return cls(names, weights, bias)

    def log_probabilities(self, embedding: np.ndarray, signals: np.ndarray) -> dict[str, float]:
        row = features_of(embedding[None, :], signals[None, :])[0]
        logits = np.einsum("f,fk->k", row, self.weights) + self.bias
        logits -= logits.max()
        log_probs = logits - np.log(np.exp(logits).sum())
        return dict(zip(self.labels, log_probs.tolist(), strict=True))


def features_of(embeddings: np.ndarray, signals: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(embeddings, dtype=np.float64) * EMBEDDING_SCALE, np.asarray(signals, np.float64)])


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
