"""How owners' text is compared, in one place: NFKC (full-width digits and letters to half-width) and traditional
characters to simplified (OpenCC's t2s: 報修 → 报修, 三號樓 → 三号楼), so every matcher — commands, dialog parsers,
buildings, intent routing, FAQ grouping — reads 頭訴 and 投诉 alike. For matching only: what the owner typed is kept
and shown as typed."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def comparable(text: str) -> str:
    """NFKC, then traditional → simplified; spaces and case are the caller's business."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _T2S.convert(folded) if any(ord(ch) >= 0x3400 for ch in folded) else folded
