"""Fitted weights kept as readable JSON in knowledge/data/ (the reranker, the calibrated confidence)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def save_fitted(fitted: Any, path: Path) -> None:
    """A frozen dataclass of plain values and tuples, as indented JSON."""
    path.write_text(json.dumps(asdict(fitted), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_fitted(cls: type[T], path: Path, features: tuple[str, ...]) -> T:
    """The dataclass back from its JSON; refused when it was fitted on other features than the code computes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise ValueError(f"{path}: fitted on other features ({data['features']}); run `linli kb calibrate`")
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})
