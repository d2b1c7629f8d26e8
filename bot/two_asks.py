"""One message, two asks: a question and a command each said as a clause of its own.

"车库月卡多少钱 还有老有人占我车位 我要投诉": the question is answered from the FAQ and the complaint starts with
what lies between. "我想交物业费 能微信交不": the payment flow answers the question itself (it pays by WeChat), so
it starts. Without this the question's form hid the command and the owner got only the FAQ answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.commands import Command, command_for
from bot.dialogs.words import asks_something, normalize
from bot.faq_limits import NEEDS_PERSON
from bot.registry import DialogRegistry

_CLAUSES = re.compile(r"[\s，,。!！;；]+")


@dataclass(frozen=True)
class TwoAsks:
    question: str  # "" when the command's flow answers it (the question came after the command)
    command: Command


def two_asks(registry: DialogRegistry, text: str) -> TwoAsks | None:
    """A question clause then a command clause (the words between go to the command), or a command clause then a
    short question about it; None for anything else. A question only a person can answer ("业委会选举啥时候开始
    我想报名": the election's, not an activity's) keeps the whole message for the FAQ and its offer of a person."""
    parts = [p for p in _CLAUSES.split(text.strip()) if p]
    if len(parts) < 2:
        return None
    last = _exact(registry, parts[-1])
    if last is not None and asks_something(parts[0]) and not any(asks_something(p) for p in parts[1:]) \
            and not _its_own(last, parts[0]) and not NEEDS_PERSON.search(normalize(parts[0])):
        return TwoAsks(parts[0], Command(last.dialog, " ".join(parts[1:])))
    first = _exact(registry, parts[0])
    if first is not None and len(parts) == 2 and asks_something(parts[1]) and len(parts[1]) <= 10:
        return TwoAsks("", first)
    return None


def _its_own(command: Command, clause: str) -> bool:
    """"正门那个刷脸的是不是坏了 … 报修": the clause in a question's form holds the command's own words; it is the
    report, not a question beside it."""
    keywords = command.dialog.keywords
    return bool(keywords and re.search(keywords, normalize(clause)))


def _exact(registry: DialogRegistry, clause: str) -> Command | None:
    """A clause that is a whole command by itself ("我要投诉", "我想交物业费"): no typo, no words after it."""
    command = command_for(registry, clause)
    if command is None or command.typo or command.text or not command.dialog.slots:
        return None
    return command
