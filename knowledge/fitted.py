"""What the learned parts share: their fitted weights kept as readable JSON in knowledge/data/ (the reranker, the
calibrated confidence), and the Adam loop that fits the softmax regressions (the reranker, the intent model)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Self

import numpy as np

BETAS = (0.9, 0.999)


@dataclass(frozen=True)
class FittedFile:
    """A linear model over standardised signals, kept as JSON: FILE is where, FEATURES the signals its code computes
    (a file fitted on others is refused). Subclasses are frozen dataclasses of plain values and tuples that add their
    own fields after these."""

    FILE: ClassVar[Path]
    FEATURES: ClassVar[tuple[str, ...]]

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]

    def standardised(self, rows: np.ndarray) -> np.ndarray:
        """Signal rows (FEATURES order) centred and scaled as in fitting."""
        return (rows - np.asarray(self.mean)) / np.asarray(self.scale)

    def save(self, path: Path | None = None) -> None:
        fields = asdict(self)
        (path or self.FILE).write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> Self:
        path = path or cls.FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != cls.FEATURES:
            raise ValueError(f"{path}: fitted on other features ({data['features']}); run `linli kb calibrate`")
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})


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
