"""Chinese licence plates (车牌): ordinary (沪A12345, 7 characters) and new-energy (沪AD12345 / 沪A12345D, 8).

Letters I and O are never used; a new-energy small car has D (pure electric) or F (other) right after the city
letter, a large one has it last. Police, embassy, trailer and learner plates (警/使/挂/学) are left to staff.
"""

from __future__ import annotations

import re
import unicodedata

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
L = "A-HJ-NP-Z"  # no I, no O
ORDINARY = re.compile(rf"^[{PROVINCES}][{L}][{L}0-9]{{5}}$")
NEW_ENERGY = re.compile(rf"^[{PROVINCES}][{L}](?:[DF][{L}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")
FIND = re.compile(rf"[{PROVINCES}]\s*[A-Za-z][\s·•.-]?[A-Za-z0-9]{{5,6}}")


def normalize_plate(text: str) -> str:
    """沪 a·123 45 → 沪A12345 (full-width folded, separators dropped, upper case)."""
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s·•.\-]", "", folded).upper()


def is_valid_plate(plate: str) -> bool:
    return bool(ORDINARY.match(plate) or NEW_ENERGY.match(plate))


def find_plate(text: str) -> str | None:
    """The first valid plate written somewhere in a sentence (车牌沪A12345)."""
    for match in FIND.finditer(unicodedata.normalize("NFKC", text or "")):
        plate = normalize_plate(match.group(0))
        for candidate in (plate, plate[:7]):
            if is_valid_plate(candidate):
                return candidate
    return None
