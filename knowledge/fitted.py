"""The Adam loop that fits the intent model's softmax regression (knowledge.intent_model). Kept only until the intent
routing (#16) moves to scikit-learn; the FAQ answerer fits nothing at run time."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

BETAS = (0.9, 0.999)


def adam(params: Sequence[np.ndarray], gradients: Callable[[], Sequence[np.ndarray]], *, steps: int,
         step_size: float) -> None:
    """Full-batch Adam, in place: `gradients()` reads the params' current values. Deterministic for the same data
    and starting values."""
    moments = [(np.zeros_like(param), np.zeros_like(param)) for param in params]
    for step in range(1, steps + 1):
        for param, gradient, (first, second) in zip(params, gradients(), moments, strict=True):
            first += (1 - BETAS[0]) * (gradient - first)
            second += (1 - BETAS[1]) * (gradient * gradient - second)
            param -= step_size * (first / (1 - BETAS[0] ** step)) / (
                np.sqrt(second / (1 - BETAS[1] ** step)) + 1e-8)
