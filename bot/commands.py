"""When a message as a whole is a command: an exact trigger (报修, 绑定房屋), or a trigger followed by what the dialog's
extract reads ("报修 厨房水管漏了"). A trigger inside a compound word or a question (维修基金…, 报修电话多少) is no
command: keyword rules are evidence for intent routing, not a verdict. A typo one character away from a command
(报秀, 保修, 頭訴) is confirmed (您是要报修吗？), never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.dialogs.spec import Dialog
from bot.dialogs.words import looks_like_question, normalize
from bot.registry import DialogRegistry
from knowledge.text import A_NOT_A, CLAUSE_ASKS
from workflows.repairs.queries import NUMBER

# The homophones pinyin input slips to in command words (报秀 → 报修, 保修 → 报修, 投述/头诉 → 投诉, 转人攻 → 转人工),
# folded before comparing; a fold is confirmed, never assumed. (Traditional characters are folded by normalize.)
_HOMOPHONES = str.maketrans("秀休保述宫攻", "修修报诉工工")
_TOU = re.compile(r"头(?=[诉述])")  # 头诉: only before 诉 (头疼 is no complaint)
_QUESTION = re.compile(r"怎么|怎样|如何|多少|多长|几点|几[天个次号]|哪|谁|什么|多久|能不能|可不可以|要不要|是否|咋|啥"
                       r"|吗|呢|[?？]"
                       r"|收不收|[不没][?？]?$|会不会|是.{1,10}还是|" + A_NOT_A)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SEPARATOR = re.compile(r"^[\s:：，,。.！!、]")
_TOKENS = re.compile(r"[\s:：，,。.！!、;；]+")


@dataclass(frozen=True)
class Command:
    dialog: Dialog
    text: str  # what the dialog's extract reads ("" for an exact trigger)
    typo: bool = False  # one character away from a trigger: ask before starting


def _fold(text: str) -> str:
    return _TOU.sub("投", _pinyin(normalize(text).lower())).translate(_HOMOPHONES)


def _typo(dialog: Dialog, text: str) -> Command:
    """A near miss of a trigger: confirmed first, unless starting it by mistake costs nothing (转人攻)."""
    return Command(dialog, text, typo=True) if dialog.confirm_typo else Command(dialog, "")


def _one_off(word: str, trigger: str) -> bool:
    return len(word) == len(trigger) and sum(a != b for a, b in zip(word, trigger, strict=True)) == 1


_LEAD_IN = re.compile(r"^(我想要|我想|我要|帮我|麻烦|请|(我|我们|俺|咱)家(里)?(要|想|需要)|家里(要|想|需要)|我)(?=.)")
_TRAILING = re.compile(r"^(?P<head>\S+?)的?(要|想|需要|得)(?P<trigger>报修|投诉)$")
_GREETING = re.compile(r"^(你好|您好|喂+|哈喽|在吗|那个)[啊呀哈，,。.!！\s]*(?=.)")
# Pinyin typed for a character the phone did not offer ("tou诉", "bao修"): folded like a homophone, so confirmed.
_PINYIN = {"tou": "投", "bao": "报", "xiu": "修", "su": "诉", "ren": "人", "gong": "工", "jiao": "缴", "fei": "费"}


def _pinyin(word: str) -> str:
    if not _CJK.search(word):
        return word
    return re.sub(r"[a-z]+", lambda m: _PINYIN.get(m.group(0), m.group(0)), word)


def _speaks_for_another(dialog: Dialog, rest: str, dialogs: Any) -> bool:
    """What follows a trigger holds another dialog's keywords and none of this one's (a dialog that declares no
    keywords takes what follows its trigger)."""
    if not dialog.keywords or re.search(dialog.keywords, rest):
        return False
    return any(other is not dialog and other.keywords and re.search(other.keywords, rest) for other in dialogs)


def command_for(registry: DialogRegistry, text: str) -> Command | None:
    text = _GREETING.sub("", text.strip())  # "你好 我要报个修 就是四号楼那个电梯…"
    raw = normalize(text).lower()
    word = _fold(text)
    if not word:
        return None
    triggers = registry.trigger_words()
    exact = triggers.get(raw) or triggers.get(_LEAD_IN.sub("", raw))  # "我要交物业费" is the command 交物业费
    if exact is not None:  # "我家要报修": the home it names is read by the dialog
        return Command(exact, text if exact.extract is not None and "家" in raw[:4] else "")
    bare_word = word.rstrip("?？")  # "头诉？": the word asked back is still the near miss
    folded_exact = triggers.get(bare_word) or triggers.get(_LEAD_IN.sub("", bare_word))
    if folded_exact is not None and not folded_exact.follow_up:  # 投述: a homophone, confirmed
        return _typo(folded_exact, text)
    question = looks_like_question(word) or bool(_QUESTION.search(word) or CLAUSE_ASKS.search(text))
    best: tuple[int, Dialog] | None = None
    lead = _LEAD_IN.match(text.strip())
    body = text.strip()[lead.end():] if lead and lead.group(0) != "我" else text.strip()  # "我要报个修…"
    body_word = _fold(body)
    for trigger, dialog in triggers.items():
        if dialog.extract is None or not body_word.startswith(trigger) or len(trigger) < 2:
            continue
        if (question and not NUMBER.match(body_word)) or (dialog.excludes and re.search(dialog.excludes, word)):
            continue  # "BX-20261205-0012到哪一步了": a ticket number asked about is looked up
        rest = normalize(body)[len(trigger):]
        if rest and not (_SEPARATOR.match(body[len(trigger):] or " ") or len(rest) >= 2):
            continue  # "报修单" is a word of its own, "报修 漏水" / "报修家里的" are commands
        if rest and _speaks_for_another(dialog, rest, triggers.values()):
            continue  # "我的房屋漏水了": what follows 我的房屋 is a repair, not a household to list
        if best is None or len(trigger) > best[0]:
            best = (len(trigger), dialog)
    if best is not None:
        spelled = normalize(body).lower().startswith(tuple(t for t, d in triggers.items() if d is best[1]))
        return Command(best[1], text) if spelled else _typo(best[1], text)  # "报秀 我家水管漏了": confirmed
    trailing = _TRAILING.match(raw)  # "公共区域的要报修": the place first, the command after (俄要保秀 is a typo)
    if trailing and not question and len(trailing.group("head")) <= 8:
        dialog = triggers.get(trailing.group("trigger"))
        if dialog is not None and dialog.extract is not None and not (
                dialog.excludes and re.search(dialog.excludes, word)):
            return Command(dialog, text)
    if not question:  # "我家马桶漏水 报修 周末来人": a trigger standing as a word of its own in the message
        for token in _TOKENS.split(text.strip())[1:]:
            dialog = triggers.get(_fold(token))
            if dialog is not None and dialog.extract is not None and not (
                    dialog.excludes and re.search(dialog.excludes, word)):
                return Command(dialog, text)
    if question or len(word) > 8:
        return None
    bare = _LEAD_IN.sub("", word)
    first = _LEAD_IN.sub("", _fold(_TOKENS.split(text.strip())[0]))  # "报秀 我家水管漏了": the near miss stands alone
    for trigger, dialog in triggers.items():
        head = bare[:len(trigger)]
        if head in triggers or (dialog.excludes and re.search(dialog.excludes, bare)):
            continue  # "维修基金" is no typo of 报修: 维修 is a word of its own
        if (len(trigger) >= 2 and _CJK.search(trigger) and not dialog.follow_up
                and (dialog.in_help or dialog.examples) and _one_off(head, trigger)):
            if len(bare) == len(trigger) or (dialog.extract is not None and len(first) == len(trigger)):
                return _typo(dialog, text)
    return None
