"""Reading owners' short answers: normalising (全角→半角, spaces), numbers ("1", "１", "第一个", "二"),
questions ("怎么…？"), numbered choices and emoji-only text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from knowledge.text import A_NOT_A, CLAUSE_ASKS
from workflows.text import comparable

_TRAILING = "。.!！~～,，、;；"
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = re.compile(r"^(?:选择?|就)?第?([0-9]+|[零〇一二两三四五六七八九十百]+)(个|项|号|条|栋|幢|号楼|楼|种|位)?$")
_QUESTION_START = ("怎么", "什么", "哪", "为什么", "几", "如何", "能不能", "可不可以", "是不是", "有没有", "请问")
_QUESTION_END = ("?", "吗", "呢", "么")


def normalize(text: str) -> str:
    """Half-width, no spaces, no trailing punctuation: how answers are compared."""
    return "".join(comparable(text or "").split()).rstrip(_TRAILING)


def chinese_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零一 → 101; None when it is not one."""
    if not text or any(ch not in _DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return total + current


def parse_number(text: str) -> int | None:
    """A number as owners type it: 1, １, 第一个, 二, 第3项, 1号; None otherwise."""
    match = _NUMBER.match(normalize(text))
    if not match:
        return None
    raw = match.group(1)
    return int(raw) if raw.isdigit() else chinese_number(raw)


def looks_like_question(text: str) -> bool:
    """A question in the middle of a dialog: ends with ？/?/吗/呢 or starts with 怎么/什么/哪/为什么/几."""
    folded = normalize(text)
    return bool(folded) and (folded.endswith(_QUESTION_END) or folded.startswith(_QUESTION_START))


# A question asked in the middle of a dialog, beyond the forms above: its words anywhere in the message.
_QUESTION_WORDS = re.compile(r"多少|几点|电话|怎么|哪里|在哪|什么时候|啥时候|吗|呢|[?？]|收不收|要不要|是不是|能不能"
                            r"|会不会|了没(有)?$|有没有|是否|收费|要钱|不$|啥意思|什么意思|是.{1,10}还是"
                            r"|^(哦|噢|啊|嗯|诶)?(话说|对了|顺便问)|找谁|问谁|啥|多久|真的假的|几号(?!楼)|来着[啊呀]?$"
                            r"|是哪(家|个|位)|哪家公司|罚不罚|有\S{0,4}规定没"
                            r"|在几(号楼|栋|楼|单元|层)(来着)?"  # "物业办公室是在几号楼来着 我想先过去"
                            r"|" + A_NOT_A)  # 停不停, 修没修
# At the description step "电话打不通的门禁" or "什么时候都漏" describe; these only ask.
_STRONG_QUESTION = re.compile(r"多少|几点|怎么|哪里|在哪|吗|呢|(?<![?？])[?？](?![?？])|收不收|要不要钱|收费"
                             r"|[要收]钱[不吗没]|会不会|能不能"
                             r"|是不是真"
                             r"|是不是得|要不要[^\s]{0,4}$|多久|咋|是什么时候|啥时候|什么时候[啊呀呢吗]?$|了没(有)?$"
                             r"|啥意思|什么意思|叫啥|叫什么|是谁|是不是(必须|得|要|可以|能)|是.{1,10}还是"
                             r"|^(哦|噢|啊|嗯|诶)?(话说|对了|顺便问)|(还有|有没有|能|可以|行).{0,6}不$"
                             r"|(能|可以|都|管)\S{0,2}啥|真的假的|([停收修来管交])不\1|到底(是)?哪|来着[啊呀]?$"
                             r"|[收要交]\S{0,4}[费钱][不吗没]$"  # "师傅上门要收上门费不"
                             r"|是哪(家|个|位)|哪家公司|罚不罚|有\S{0,4}规定没|在几(号楼|栋|楼|单元|层)")


def asks_something(text: str, *, strong: bool = False) -> bool:
    """A question in the middle of a dialog (a step that wants an answer of its own); `strong`: only the words that
    ask whatever else the sentence describes (at a description step "电话打不通的门禁" describes)."""
    word = normalize(text)
    words = _STRONG_QUESTION if strong else _QUESTION_WORDS
    return bool(looks_like_question(word) or words.search(word) or CLAUSE_ASKS.search(text))


def is_emoji_only(text: str) -> bool:
    """Only symbols and pictographs (no letters, digits or CJK)."""
    stripped = "".join((text or "").split())
    return bool(stripped) and not any(unicodedata.category(ch)[0] in "LN" for ch in stripped)


def match_choice(text: str, choices: Sequence[Sequence[Any]], *, loose: bool = False) -> tuple[bool, Any]:
    """Pick from shown choices [value, label, aliases] by number, label, alias or a unique part of a label; `loose`
    (a step that has nothing but its choices) also by a word only one choice holds ("跟进那个就行")."""
    folded = normalize(text)
    if not folded:
        return False, None
    for value, label, aliases in choices:  # a label or alias first: "3栋" is the building, not the third choice
        if folded == normalize(label) or folded in {normalize(a) for a in aliases}:
            return True, value
    number = parse_number(folded)
    if number is not None and 1 <= number <= len(choices):
        return True, choices[number - 1][0]
    if len(folded) >= 2:
        partial = [value for value, label, _ in choices if folded in normalize(label)]
        if len(partial) == 1:
            return True, partial[0]
        shared = [value for value, label, aliases in choices
                  if _pairs(folded) & (_pairs(label) | {p for a in aliases if len(a) >= 2 for p in _pairs(a)})]
        if loose and len(shared) == 1 and not _NEGATION.search(folded):  # "跟进那个就行" → 跟进已有工单
            return True, shared[0]
    return False, None


_NEGATION = re.compile(r"不|别|没|甭")


def _pairs(text: str) -> set[str]:
    """The two-character Chinese words a text could hold (every adjacent pair of CJK characters)."""
    cjk = re.sub(r"[^\u4e00-\u9fff]", "", normalize(text))
    return {cjk[i:i + 2] for i in range(len(cjk) - 1)}


def numbered(lines: Sequence[str]) -> str:
    """1. 水电\n2. 门窗 — every list the owner sees is numbered."""
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))
