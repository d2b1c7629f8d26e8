"""How owners' text is compared, in one place: NFKC (full-width digits and letters to half-width) and traditional
characters to simplified (OpenCC's t2s: 報修 → 报修, 三號樓 → 三号楼), so every matcher — commands, dialog parsers,
buildings, intent routing, FAQ grouping — reads 頭訴 and 投诉 (and 电悌 and 电梯) alike. For matching only: what the
owner typed is kept and shown as typed."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
# Pinyin-input slips no word is spelt with, read as the word meant ("电悌门关不上", "电体里的灯"); same length, so a
# position in the compared text is one in the typed text.
_SLIPS = {"电悌": "电梯", "电体": "电梯", "电锑": "电梯", "电题": "电梯"}
# 等 for 灯 where only a lamp fits: after a place, before what is wrong with it ("大厅的等坏了", "楼道等不亮").
_LAMP = re.compile(r"(?<=[厅道梯库廊堂顶的])等(?=坏|不亮|没亮|灭|黑|闪|一闪|老是|又|也不|都不|一直不)")


@lru_cache(maxsize=8192)
def comparable(text: str) -> str:
    """NFKC, then traditional → simplified; spaces and case are the caller's business."""
    folded = unicodedata.normalize("NFKC", text or "")
    if not any(ord(ch) >= 0x3400 for ch in folded):
        return folded
    folded = _T2S.convert(folded)
    for slip, meant in _SLIPS.items():
        folded = folded.replace(slip, meant)
    return _LAMP.sub("灯", folded) if "等" in folded else folded
