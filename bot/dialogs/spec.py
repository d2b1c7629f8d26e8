"""How a dialog is declared: slots, an optional confirmation, and a submit that calls one workflows service.

A dialog file builds one `Dialog` and never re-implements manners (取消/返回/转人工, numbered choices, expiry,
validation messages, questions in the middle): the engine owns those.

    REPAIR = Dialog(
        name="repair", title="报修", triggers=("报修", "我要报修"), menu_key="REPAIR",
        slots=(
            Slot("category", "请选择报修类别：", choices=category_choices),
            Slot("description", "请简单描述问题：", parse=parse_description, example="厨房水管漏水"),
        ),
        confirm=summarise, submit=open_ticket,
    )
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.context import DialogContext


class Invalid(Exception):
    """Raised by a slot parser: the message says what is expected; the engine adds the slot's example."""


class Abort(Exception):
    """Raised by a parser or submit to end the dialog with a message (e.g. nothing to unbind)."""


class SlotValues(dict):
    """What a parser returns when one answer fills several slots (like Rasa's validate_<slot> returning a dict):
    {slot name: value}, the asked slot included. Any other return value fills the asked slot alone."""


@dataclass(frozen=True)
class FollowUp:
    """What a submit returns when the bot asks one more short question in a follow-up dialog (有帮助吗？要转人工吗？):
    the reply, then that dialog's first prompt; `values` are its context (the question it is about)."""

    text: str
    dialog: str
    values: dict[str, Any] = field(default_factory=dict)
    said: str = ""  # the owner's words that dialog's extract reads ("对 家里卫生间灯坏了" after 您是要报修吗)


LANGUAGE = Path(__file__).parent / "language"


def examples_of(name: str) -> tuple[str, ...]:
    """A dialog's example sentences kept beside it in bot/dialogs/language/<name>.txt (one per line, # comments)."""
    lines = (LANGUAGE / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip() and not line.startswith("#")))


@dataclass(frozen=True)
class Choice:
    value: Any  # JSON-able value stored in the slot
    label: str  # shown after its number: "1. 水电"
    aliases: tuple[str, ...] = ()  # other words that pick it ("水", "电")


ChoicesFn = Callable[["DialogContext"], Awaitable[list[Choice]]]
ParseFn = Callable[[str, "DialogContext"], Awaitable[Any]]
TextFn = Callable[["DialogContext"], Awaitable[str]]
CheckFn = Callable[["DialogContext"], bool]  # a pure predicate over ctx.values and ctx.facts
FactsFn = Callable[["DialogContext"], Awaitable[Any]]  # reads what a slot needs (e.g. an open ticket like this one)


@dataclass(frozen=True)
class Slot:
    name: str
    prompt: str | TextFn
    parse: ParseFn | None = None  # free text (or media/location, see accepts) -> value, or raise Invalid
    choices: ChoicesFn | None = None  # numbered choices; a number, a label or an alias picks one
    example: str = ""  # shown when input is invalid: 例如：3栋1单元302
    optional: bool = False  # 跳过 leaves it empty
    skip_if: CheckFn | None = None  # e.g. the owner has one household: filled by `default`, not asked
    default: Callable[[DialogContext], Awaitable[Any]] | None = None
    # Read once when the dialog reaches this slot, kept in ctx.facts[name] for skip_if, the prompt and the choices.
    facts: FactsFn | None = None
    accepts: frozenset[str] = field(default_factory=lambda: frozenset({"text"}))  # + image, voice, location
    repeatable: bool = False  # collects several messages (photos) until 完成/好了
    display: Callable[[Any], str] | None = None  # how the value reads in the confirmation
    label: str = ""  # what the slot is called in the confirmation and the 修改 list ("类别"); default: name
    # A message that is no answer here (e.g. after a list the owner types 报修) leaves the dialog quietly and is
    # routed as a fresh message, instead of being explained as invalid.
    exit_on_mismatch: bool = False
    free_text: bool = False  # a free-text step: questions, a change of topic and emergencies are looked at first
    # A media step where words are no answer: a sentence sent here adds to this earlier slot ("锁芯拧不动" while the
    # photos are asked is more of the description), and the step is asked again.
    text_adds_to: str = ""


@dataclass(frozen=True)
class Dialog:
    name: str  # "bind", "repair": also the intent name routing uses
    title: str  # "绑定房屋"
    slots: tuple[Slot, ...]
    submit: Callable[[DialogContext], Awaitable[str | FollowUp]]  # calls one service; returns the owner's reply
    triggers: tuple[str, ...] = ()  # exact keywords that start it
    menu_key: str | None = None  # the custom menu CLICK key that starts it
    confirm: TextFn | None = None  # the summary asked to be confirmed (回复 1 确认 / 2 修改); None: no confirmation
    confirm_unless: Callable[[DialogContext], bool] | None = None  # nothing new to confirm (following an open ticket)
    requires_binding: bool = False  # unbound owners are invited to bind first
    extract: Callable[[str, DialogContext], Awaitable[dict[str, Any]]] | None = None  # fill several slots at once
    extra_values: tuple[str, ...] = ()  # values besides slots an extract may fill ("urgent")
    preface: TextFn | None = None  # said before the first question when it starts (an emergency's answer)
    description: str = ""  # one line for 帮助 and for intent routing (what the dialog is for)
    in_help: bool = True  # listed by 帮助; False for staff-only dialogs and follow-ups the bot itself prompts
    # A bare reply (1 / 2 / 同意) to a question Linli sent on its own through the outbox (a walk-in visitor waiting
    # for the owner's approval): the router asks `claims` before trigger words and starts the dialog if it says yes.
    claims: Callable[[str, DialogContext], Awaitable[bool]] | None = None
    # Its language, handed to knowledge as an IntentSpec (bot/registry.py): example sentences routing learns from,
    # keyword evidence (a regular expression; evidence, not a verdict), and how a question about it reads.
    examples: tuple[str, ...] = ()
    keywords: str = ""
    excludes: str = ""  # words that look like its keywords but are something else ("维修基金" is no repair)
    # Evidence enough on its own: a thing named with what is wrong with it ("电梯门关一半就弹开"), when the message is
    # no question and no other dialog's keywords are there.
    decisive: str = ""
    lookup: bool = False  # asking about it is asking for it (我的报修怎么样了？)
    supersedes: tuple[str, ...] = ()  # when its keywords match, these dialogs' keywords do not count
    explicit_only: bool = False  # without its keywords it is an unlikely reading
    confirm_typo: bool = True  # a typo of a trigger is confirmed first; False where a wrong start costs nothing
    takes_emergencies: bool = False  # a whole message that is an emergency (电梯里关着人) starts it (报修)
    # A follow-up the bot itself prompts (FAQ feedback, a hand-over offer): no 取消/返回 manners, anything that is
    # not an answer leaves it quietly and is routed afresh, it expires silently.
    follow_up: bool = False
