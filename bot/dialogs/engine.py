"""The dialog engine: runs any declared Dialog (bot/dialogs/spec.py) and gives every one the same manners.

取消/退出 cancels, 返回 goes back one slot, 转人工 hands over to a person, numbered choices work ("1", "１",
"第一个", a label, an alias), invalid input is explained with the slot's example, a question in the middle is answered
and the slot asked again, 跳过 skips optional slots, repeatable slots collect messages until 好了, a confirmation
step lets the owner change one slot (bot/dialogs/confirmation.py), and three invalid answers in a row offer a person.

Expiry (dialog_idle_minutes) is checked by the router before the engine sees the message. The engine keeps all its
state in the Conversation (plain JSON) and reaches outside only through its Host (the Bot): hand-over and FAQ answers.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from bot import texts
from bot.context import DialogContext
from bot.conversation import Conversation
from bot.dialogs.confirmation import ConfirmationSteps
from bot.dialogs.spec import Abort, Dialog, FollowUp, Invalid, Slot, SlotValues
from bot.dialogs.words import asks_something, looks_like_question, match_choice, normalize, numbered
from workflows.escalations.models import EscalationReason

MAX_INVALID = 3


class Host(Protocol):
    """What the engine needs from the bot around it."""

    async def escalate(self, ctx: DialogContext, reason: EscalationReason, question: str) -> str: ...
    async def answer_question(self, ctx: DialogContext, text: str) -> str | None: ...


class Registry(Protocol):
    def get(self, name: str) -> Dialog | None: ...
    def by_trigger(self, text: str) -> Dialog | None: ...


REROUTE = None  # handle() returns None: the message left the dialog and must be routed afresh
NOT_HEARD = object()  # the listener let the answer through to the slot's parser


class Listener(Protocol):
    """Looks at every free-text answer before it is parsed (bot/dialogs/listening.py): a question, a change of
    topic, an emergency; returns the reply (or REROUTE), or NOT_HEARD to let the parser have it."""

    async def hear(self, engine: DialogEngine, conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot,
                   text: str) -> Any: ...


class DialogEngine(ConfirmationSteps):
    def __init__(self, registry: Registry, host: Host, listener: Listener | None = None) -> None:
        self.registry = registry
        self.host = host
        self.listener = listener

    # --- starting ------------------------------------------------------------------------------------------
    async def start(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, *, text: str = "",
                    prefill: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> str:
        """Begin a dialog; `text` feeds the dialog's extract, `prefill` (raw strings) is validated slot by slot,
        `values` are given as they are (a follow-up's context: the question it is about)."""
        if dialog.requires_binding and not ctx.owner.is_bound:
            conv.end_dialog()
            return texts.NEEDS_BINDING.format(title=dialog.title)
        if not dialog.follow_up and not text and conv.resume(dialog.name, time.time()):
            self._sync(conv, ctx)  # the draft the owner left a few minutes ago: carry on
            if conv.stage == "confirm":
                return f"{texts.RESUMED.format(title=dialog.title)}{await dialog.confirm(ctx)}\n{texts.CONFIRM_FOOTER}"
            prompt = await self._ask(conv, ctx, dialog.slots[conv.slot_index])
            return f"{texts.RESUMED.format(title=dialog.title)}{prompt}"
        conv.start_dialog(dialog.name, values)
        self._sync(conv, ctx)
        try:
            if prefill:
                await self._prefill(dialog, ctx, prefill)
            if dialog.extract and text:
                extracted = await dialog.extract(text, ctx)
                known = {slot.name for slot in dialog.slots}
                ctx.values.update({k: v for k, v in (extracted or {}).items()
                                   if (k in known or k in dialog.extra_values) and v is not None})
            reply = await self._advance(conv, ctx, dialog, -1)
            preface = await dialog.preface(ctx) if dialog.preface else ""
            return f"{preface}\n{reply}" if preface else reply
        except Abort as exc:
            conv.end_dialog()
            return str(exc)

    @staticmethod
    def _sync(conv: Conversation, ctx: DialogContext) -> None:
        ctx.values, ctx.facts, ctx.submission_key = conv.values, conv.facts, conv.submission_key

    @staticmethod
    def _store(conv: Conversation, slot: Slot, value: Any) -> None:
        """A parser's SlotValues fill several slots; anything else fills the asked slot."""
        if isinstance(value, SlotValues):
            conv.values.update(value)
        else:
            conv.values[slot.name] = value

    async def _prefill(self, dialog: Dialog, ctx: DialogContext, raw: dict[str, Any]) -> None:
        """Slots guessed by intent routing go through the same parsers as typed answers; invalid ones are dropped."""
        for slot in dialog.slots:
            value = raw.get(slot.name)
            if value is None or value == "" or slot.repeatable or "text" not in slot.accepts:
                continue
            shown = await self._choices(slot, ctx)
            try:
                parsed = await self._parse(slot, ctx, str(value), shown)
            except Invalid:
                continue
            ctx.values.update(parsed if isinstance(parsed, SlotValues) else {slot.name: parsed})

    # --- one message ---------------------------------------------------------------------------------------
    async def handle(self, conv: Conversation, ctx: DialogContext) -> str | None:
        """The active dialog takes the message; None means it left the dialog and the router routes it afresh."""
        dialog = self.registry.get(conv.dialog or "")
        if dialog is None:  # a dialog removed by a deploy: start over politely
            conv.end_dialog()
            return REROUTE
        self._sync(conv, ctx)
        text = ctx.inbound.content or ""
        word = normalize(text)
        if dialog.follow_up:
            return await self._follow_up(conv, ctx, dialog, text)
        if ctx.inbound.msg_type in ("text", "voice"):
            lead = texts.CANCEL_LEAD.match(text.strip())  # "取消吧 不修了 我儿子说他会弄"; not "… 先问下停车费多少"
            if word in texts.CANCEL_WORDS or (len(word) <= 8 and texts.CANCEL_PHRASE.search(word)) \
                    or (lead and not asks_something(text.strip()[lead.end():])):
                conv.end_dialog()
                return texts.CANCELLED.format(title=dialog.title)
            if word in texts.HANDOVER_WORDS or (texts.HANDOVER_PHRASE.search(word)
                                                and not texts.ABOUT_THE_BOT.search(word)):
                conv.end_dialog()
                return await self.host.escalate(ctx, EscalationReason.ASKED_FOR_PERSON, f"[{dialog.title}] {text}")
            if word in texts.BACK_WORDS:
                return await self._back(conv, ctx, dialog)
        try:
            if conv.stage == "confirm":
                return await self._confirming(conv, ctx, dialog, text, word)
            if conv.stage == "edit":
                return await self._editing(conv, ctx, dialog, word)
            if conv.stage == "offer_handover":
                if word in texts.OFFER_YES_WORDS:
                    conv.end_dialog()
                    return await self.host.escalate(ctx, EscalationReason.REPEATED_FAILURE,
                                                    texts.REPEATED_FAILURE_NOTE.format(title=dialog.title))
                if word in texts.OFFER_CONTINUE_WORDS:
                    conv.stage, conv.invalid_count = "slot", 0
                    return await self._ask(conv, ctx, dialog.slots[conv.slot_index])
            return await self._answer(conv, ctx, dialog, text, word)
        except Abort as exc:
            conv.end_dialog()
            return str(exc)

    @staticmethod
    def _acknowledged(conv: Conversation, dialog: Dialog) -> str:
        """"好的谢谢" at a step: the owner is done for now; what was filled is kept for ten minutes."""
        filled = any(conv.values.get(slot.name) is not None for slot in dialog.slots)
        conv.park(time.time())
        return (texts.ACK_DRAFT_KEPT if filled else texts.ACK_LEFT).format(title=dialog.title)

    async def _follow_up(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, text: str) -> str | None:
        """A question the bot itself asked (有帮助吗, which of these, 要转人工吗): an answer, or routed afresh."""
        slot = dialog.slots[min(conv.slot_index, len(dialog.slots) - 1)]
        if ctx.inbound.msg_type not in ("text", "voice"):
            conv.end_dialog()
            return REROUTE
        if slot.parse is None and texts.HANDOVER_PHRASE.search(normalize(text)):
            conv.end_dialog()  # "好的转吧" to 有帮助吗: a person is asked for, not a rating
            return REROUTE
        try:
            self._store(conv, slot, await self._parse(slot, ctx, text, conv.choices))
        except (Invalid, Abort):
            conv.end_dialog()
            return REROUTE
        return await self._accepted(conv, ctx, dialog, conv.slot_index)

    async def _answer(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, text: str, word: str) -> str | None:
        index = min(conv.slot_index, len(dialog.slots) - 1)
        slot = dialog.slots[index]
        kind = ctx.inbound.msg_type
        if kind == "voice" and "voice" not in slot.accepts and text:
            kind = "text"  # WeChat's recognition of a voice message reads as typed text
        finishing = kind == "text" and ((slot.repeatable and word in texts.DONE_WORDS)
                                        or (slot.optional and texts.is_skip(word)))
        if kind == "text" and not finishing and texts.ACKNOWLEDGED.fullmatch(word) \
                and not match_choice(text, conv.choices)[0]:
            return self._acknowledged(conv, dialog)
        if kind not in slot.accepts and not finishing:
            if slot.exit_on_mismatch:
                conv.end_dialog()
                return REROUTE
            if kind == "text":
                wanted = "或".join(texts.MEDIA_NAMES[k] for k in sorted(slot.accepts) if k in texts.MEDIA_NAMES)
                message = texts.SEND_MEDIA.format(kinds=wanted or texts.SOME_CONTENT)
                return await self._invalid(conv, ctx, dialog, slot, Invalid(message), text)
            message = texts.NOT_ACCEPTED_MEDIA.format(kind=texts.MEDIA_NAMES.get(kind, texts.SOME_MESSAGE))
            return await self._invalid(conv, ctx, dialog, slot, Invalid(message), text, explain_only=True)
        if kind == "text" and slot.optional and (then := texts.SKIP_THEN_MORE.match(text)
                                                 or texts.MORE_THEN_SKIP.match(text)):
            return await self._skip_then(conv, ctx, dialog, slot, index, then.group("rest"))
        if kind == "text" and slot.optional and slot.repeatable and not conv.values.get(slot.name) \
                and not finishing and await self._next_takes(conv, ctx, dialog, index, text):
            return await self._skip_then(conv, ctx, dialog, slot, index, text)  # "明天上午10点以后" at the photos
        if slot.repeatable:
            if kind == "text" and not finishing and word not in texts.DONE_WORDS and self.listener is not None:
                heard = await self.listener.hear(self, conv, ctx, dialog, slot, text)  # a question at the photos
                if heard is not NOT_HEARD:
                    return heard
            return await self._collect(conv, ctx, dialog, slot, index, text, word)
        if slot.optional and kind == "text" and texts.is_skip(word):
            conv.values[slot.name] = None
            return await self._accepted(conv, ctx, dialog, index)
        if kind == "text" and self.listener is not None:
            heard = await self.listener.hear(self, conv, ctx, dialog, slot, text)
            if heard is not NOT_HEARD:
                return heard
        try:
            self._store(conv, slot, await self._parse(slot, ctx, text, conv.choices))
        except Invalid as exc:
            return await self._invalid(conv, ctx, dialog, slot, exc, text)
        return await self._accepted(conv, ctx, dialog, index)

    async def _skip_then(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot, index: int,
                         rest: str) -> str | None:
        """"没有照片 电话就用我绑定的": the optional step is left empty and the rest answers the next step."""
        if slot.repeatable:
            conv.values.setdefault(slot.name, [])
        else:
            conv.values[slot.name] = None
        reply = await self._accepted(conv, ctx, dialog, index)
        if conv.dialog != dialog.name or conv.stage != "slot" or conv.slot_index == index:
            return reply
        return await self._answer(conv, ctx, dialog, rest, normalize(rest))

    async def _next_takes(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, index: int,
                          text: str) -> bool:
        """The owner answered the step after this optional one (a visit time at the photos step): the next step to
        ask takes no choices and its parser accepts the text, which says nothing wrong and asks nothing."""
        word = normalize(text)
        if texts.says_what_is_wrong(word) or looks_like_question(word):
            return False
        for later in dialog.slots[index + 1:]:
            if later.name in conv.values or (later.skip_if is not None and later.facts is None
                                             and later.skip_if(ctx)):
                continue
            if later.choices is not None or later.parse is None or later.facts is not None \
                    or "text" not in later.accepts:
                return False
            try:
                await later.parse(text, ctx)
            except Invalid:
                return False
            return True
        return False

    async def _collect(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot, index: int,
                       text: str, word: str) -> str | None:
        """A repeatable slot (photos): every message adds one value until 好了/完成/没有了."""
        items = conv.values.setdefault(slot.name, [])
        finished = word in texts.DONE_WORDS or (slot.optional and (texts.is_skip(word)
                                                                   or bool(texts.PHONE_AS_BEFORE.search(word))))
        if ctx.inbound.msg_type == "text" and finished:
            if items or slot.optional:
                return await self._accepted(conv, ctx, dialog, index)
            return texts.REPEAT_NEED_ONE
        if ctx.inbound.msg_type == "text" and slot.text_adds_to and conv.values.get(slot.text_adds_to) \
                and texts.says_what_is_wrong(word) and not looks_like_question(word):
            added = f"{conv.values[slot.text_adds_to]}；{text.strip()}"
            conv.values[slot.text_adds_to] = added[:2000]
            return f"{texts.ADDED_TO_DESCRIPTION}\n{await self._prompt(conv, ctx, slot)}"
        try:
            items.append(await self._parse(slot, ctx, text, conv.choices))
        except Invalid as exc:
            return await self._invalid(conv, ctx, dialog, slot, exc, text)
        conv.invalid_count = 0
        return texts.REPEAT_RECEIVED.format(count=len(items))

    async def _accepted(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, index: int) -> str:
        conv.invalid_count = 0
        if index not in conv.history:
            conv.history.append(index)
        if conv.edit_return:
            conv.edit_return = False
            return await self._advance(conv, ctx, dialog, len(dialog.slots))
        return await self._advance(conv, ctx, dialog, index)

    async def _invalid(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot, exc: Invalid,
                       text: str, *, explain_only: bool = False) -> str | None:
        if not explain_only:
            if slot.exit_on_mismatch:
                conv.end_dialog()
                return REROUTE
            other = self.registry.by_trigger(text)
            if other is not None and other.name != dialog.name:
                if not other.slots:  # 帮助 and the like answer in one step: show it, then carry on here
                    info = await other.submit(ctx)
                    info = info.text if isinstance(info, FollowUp) else info
                    return texts.QUESTION_THEN_CONTINUE.format(answer=info, prompt=await self._prompt(conv, ctx, slot))
                conv.end_dialog()  # the owner started something else: let the router start it
                return REROUTE
            if asks_something(text):
                answer = await self.host.answer_question(ctx, text)
                prompt = await self._prompt(conv, ctx, slot)
                if answer:
                    return texts.QUESTION_THEN_CONTINUE.format(answer=answer, prompt=prompt)
                return texts.NO_ANSWER_THEN_CONTINUE.format(prompt=prompt)
        conv.invalid_count += 1
        if conv.stage == "offer_handover":  # they were offered a person and failed again
            conv.end_dialog()
            return await self.host.escalate(ctx, EscalationReason.REPEATED_FAILURE, f"[{dialog.title}] {text}")
        if conv.invalid_count >= MAX_INVALID:
            conv.stage = "offer_handover"
            return texts.OFFER_HANDOVER
        lines = [str(exc) or texts.INVALID_DEFAULT]
        if slot.example:
            lines.append(texts.INVALID_EXAMPLE.format(example=slot.example))
        if conv.choices:
            lines.append(numbered([label for _, label, _ in conv.choices]))
        return "\n".join(lines)

    # --- moving between slots ------------------------------------------------------------------------------
    async def _advance(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, after: int) -> str:
        """Ask the next slot that is neither filled nor skipped; after the last one, confirm or submit."""
        for index in range(after + 1, len(dialog.slots)):
            slot = dialog.slots[index]
            if slot.name in conv.values:
                continue
            if slot.facts is not None and slot.name not in conv.facts:
                conv.facts[slot.name] = await slot.facts(ctx)
            if slot.skip_if is not None and slot.skip_if(ctx):
                conv.values[slot.name] = await slot.default(ctx) if slot.default else None
                continue
            conv.slot_index, conv.stage, conv.invalid_count = index, "slot", 0
            return await self._ask(conv, ctx, slot)
        if dialog.confirm is not None and not (dialog.confirm_unless and dialog.confirm_unless(ctx)):
            conv.stage, conv.choices = "confirm", []
            return f"{await dialog.confirm(ctx)}\n{texts.CONFIRM_FOOTER}"
        return await self._submit(conv, ctx, dialog)

    async def _choices(self, slot: Slot, ctx: DialogContext) -> list[list[Any]]:
        if slot.choices is None:
            return []
        return [[c.value, c.label, list(c.aliases)] for c in await slot.choices(ctx)]

    async def _prompt(self, conv: Conversation, ctx: DialogContext, slot: Slot) -> str:
        prompt = slot.prompt if isinstance(slot.prompt, str) else await slot.prompt(ctx)
        parts = [prompt]
        if conv.choices:
            parts.append(numbered([label for _, label, _ in conv.choices]))
        if slot.repeatable:
            parts.append(texts.REPEAT_HINT)
        if slot.optional:
            parts.append(texts.SKIP_HINT)
        return "\n".join(parts)

    async def _ask(self, conv: Conversation, ctx: DialogContext, slot: Slot) -> str:
        conv.choices = await self._choices(slot, ctx)
        return await self._prompt(conv, ctx, slot)

    async def _back(self, conv: Conversation, ctx: DialogContext, dialog: Dialog) -> str:
        if not conv.history:
            said = [i for i in range(conv.slot_index) if dialog.slots[i].name in conv.values
                    and dialog.slots[i].skip_if is None]  # "公共区域报修" then 返回: the step its words answered
            if said:
                conv.history.append(said[-1])
            elif conv.stage == "slot":
                return f"{texts.BACK_AT_START}\n{await self._ask(conv, ctx, dialog.slots[conv.slot_index])}"
            conv.stage = "slot"
        if conv.history:
            index = conv.history.pop()
            conv.values.pop(dialog.slots[index].name, None)
            for later in range(index + 1, len(dialog.slots)):  # filled on its own from that answer (a skipped step)
                if later not in conv.history:
                    conv.values.pop(dialog.slots[later].name, None)
            conv.slot_index = index
        conv.stage, conv.invalid_count, conv.edit_return = "slot", 0, False
        return await self._ask(conv, ctx, dialog.slots[conv.slot_index])

    async def _parse(self, slot: Slot, ctx: DialogContext, text: str, shown: list[list[Any]]) -> Any:
        if shown:
            found, value = match_choice(text, shown, loose=slot.parse is None)
            if found:
                return value
            if slot.parse is None:
                raise Invalid(texts.INVALID_CHOICE)
        if slot.parse is not None:
            return await slot.parse(text, ctx)
        if not text.strip():
            raise Invalid(texts.EMPTY_ANSWER)
        return text.strip()[:2000]
