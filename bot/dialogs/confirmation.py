"""The confirmation every dialog with a summary gets, and its submit: 1 / 确认 (or a yes in several words) submits,
2 / 修改 lists the answered slots to change one, a question is answered and the summary asked again; the submit calls
the dialog's one service and may hand over to a follow-up dialog (有帮助吗, 要转人工吗). A mixin of DialogEngine
(bot/dialogs/engine.py), which supplies host, registry, start and _ask."""

from __future__ import annotations

import logging
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.conversation import Conversation
from bot.dialogs.spec import Abort, Dialog, FollowUp, Invalid, Slot
from bot.dialogs.words import looks_like_question, numbered, parse_number

log = logging.getLogger("linli.bot.engine")


class ConfirmationSteps:
    def _editable(self, conv: Conversation, dialog: Dialog) -> list[tuple[int, Slot]]:
        return [(i, s) for i, s in enumerate(dialog.slots)
                if s.name in conv.values and (s.skip_if is None or i in conv.history or s.default is not None)]

    async def _confirming(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, text: str,
                          word: str) -> str:
        number = parse_number(word)  # "选1", "第一个"
        if word in texts.CONFIRM_YES_WORDS or texts.CONFIRM_YES_PHRASE.fullmatch(word) or number == 1:
            return await self._submit(conv, ctx, dialog)
        if word in texts.CONFIRM_EDIT_WORDS or number == 2:
            editable = self._editable(conv, dialog)
            if not editable:
                return texts.CONFIRM_AGAIN
            conv.stage = "edit"
            return f"{texts.EDIT_WHICH}\n{self._edit_list(conv, editable)}"
        if looks_like_question(text):
            answer = await self.host.answer_question(ctx, text)
            if answer:
                return f"{answer}\n\n{texts.CONFIRM_AGAIN}"
        return texts.CONFIRM_AGAIN

    def _edit_list(self, conv: Conversation, editable: list[tuple[int, Slot]]) -> str:
        lines = []
        for _, slot in editable:
            value = conv.values.get(slot.name)
            shown = slot.display(value) if slot.display else _plain(value)
            lines.append(f"{slot.label or slot.name}：{shown}")
        return numbered(lines)

    async def _editing(self, conv: Conversation, ctx: DialogContext, dialog: Dialog, word: str) -> str:
        editable = self._editable(conv, dialog)
        number = parse_number(word)
        named = [i for i, (_, slot) in enumerate(editable, 1) if slot.label
                 and (slot.label in word or (len(word) >= 2 and word.lstrip("改") in slot.label))]
        if number is None and len(named) == 1:  # "上门时间", "改电话": the item by its name
            number = named[0]
        if number is None or not 1 <= number <= len(editable):
            return f"{texts.EDIT_WHICH}\n{self._edit_list(conv, editable)}"
        index, slot = editable[number - 1]
        conv.slot_index, conv.stage, conv.edit_return, conv.invalid_count = index, "slot", True, 0
        if slot.repeatable:
            conv.values.pop(slot.name, None)
        return await self._ask(conv, ctx, slot)

    async def _submit(self, conv: Conversation, ctx: DialogContext, dialog: Dialog) -> str:
        try:
            reply = await dialog.submit(ctx)
        except (Abort, Invalid) as exc:
            reply = str(exc)
        except Exception:  # noqa: BLE001 - the owner gets an honest answer; the error goes to the log
            log.exception("submit of dialog %s failed for %s", dialog.name, ctx.openid)
            reply = texts.SUBMIT_FAILED
        conv.end_dialog()
        if isinstance(reply, FollowUp):
            follow = self.registry.get(reply.dialog)
            if follow is None:
                return reply.text
            prompt = await self.start(conv, ctx, follow, values=reply.values, text=reply.said)
            return f"{reply.text}\n\n{prompt}" if reply.text else prompt
        return reply


def _plain(value: Any) -> str:
    if value is None:
        return texts.EMPTY_VALUE
    if isinstance(value, list):
        return texts.COUNT_VALUE.format(count=len(value))
    return str(value)
