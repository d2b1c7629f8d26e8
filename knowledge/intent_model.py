"""A multinomial logistic regression (scikit-learn) over a message's embedding and its keyword and sentence-form
signals, fitted on the examples the bot's intent specs carry when the classifier first sees that set of specs.

The nearest labelled examples say which examples a message resembles; the regression learns which directions of the
embedding space separate the intents, so it carries over better to people who word things differently from the
examples' writers. The classifier adds its log-probabilities to the nearest-example scores (knowledge.intents).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

EMBEDDING_SCALE = 10.0  # unit vectors scaled up so their dot products reach the range of the 0/1 signals' weights
C = 10.0  # inverse L2 strength: the examples are few per intent, the features many


class SoftmaxIntents:
    """P(intent | message features) for the labels it was fitted on."""

    def __init__(self, model: LogisticRegression) -> None:
        self.model = model
        self.labels = [str(label) for label in model.classes_]
        self._coef, self._intercept = np.asarray(model.coef_), np.asarray(model.intercept_)

    @classmethod
    def fit(cls, embeddings: np.ndarray, signals: np.ndarray, labels: list[str]) -> SoftmaxIntents:
        """Deterministic (lbfgs from zero weights)."""
        model = LogisticRegression(C=C, max_iter=500)
        model.fit(features_of(embeddings, signals), labels)
        return cls(model)

    def log_probabilities(self, embedding: np.ndarray, signals: np.ndarray) -> dict[str, float]:
        row = features_of(embedding[None, :], signals[None, :])
        if len(self.labels) > 2:  # multinomial: the log-softmax of the decision function, as predict_log_proba
            scores = self._coef @ row[0] + self._intercept  # computes it, without its input checks (~1 ms a call)
            scores -= scores.max()
            log_p = scores - np.log(np.exp(scores).sum())
        else:
            log_p = self.model.predict_log_proba(row)[0]
        return dict(zip(self.labels, log_p.tolist(), strict=True))


def features_of(embeddings: np.ndarray, signals: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(embeddings, dtype=np.float64) * EMBEDDING_SCALE, np.asarray(signals, np.float64)])
