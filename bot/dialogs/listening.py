"""Every free-text answer is looked at before a slot's parser stores it (Slot.free_text): a question is answered and
the step asked again; a change of topic (算了，先问个别的) leaves the dialog keeping its draft for ten minutes; another
command switches, keeping the draft (a one-step one such as 帮助 is answered and the step asked again); an emergency
(漏水、着火、困电梯), at any step (a choice step too), gets the emergency answer at once and marks the report urgent
— at the description step it is the description, at any other step it is never stored; 跳过 at a required step
is explained. Anything else goes to the parser."""

from __future__ import annotations

import re
import time
from typing import Any

from bot import texts
from bot.commands import command_for
from bot.context import DialogContext
from bot.conversation import Conversation
from bot.dialogs.emergency import is_danger, is_emergency
from bot.dialogs.engine import NOT_HEARD, REROUTE, DialogEngine
from bot.dialogs.parsers import MOBILE_IN_TEXT
from bot.dialogs.spec import Dialog, FollowUp, Invalid, Slot
from bot.dialogs.words import asks_something, normalize

CHANGE_OF_TOPIC = re.compile(r"^(算了(?![\s，,。]*还是)|先不报|先不修|先不投诉|不报了|不修了|不弄了|回头再说|换个话题)"
                             r"|先问(个|一下|问)?别的|问(个|点)别的")
# "哦不对不对 不是我家 是楼道里的": an earlier answer corrected (what the dialog's extract reads replaces it).
CORRECTION = re.compile(r"^(哦|噢|啊|嗯|哎|唉|哎呀|哎哟|诶)?[，,。\s]*(我)?(刚才|刚刚)?"
                        r"(不对|错了|说错了|搞错了|弄错了|选错了|按错了|更正|改一下)|不是(我家|家里|公共|楼道)")
NOT_THIS = re.compile(r"不是(我家|家里|公共(区域)?|楼道)的?")
# "你等会 我家到底是哪个单元来着": the owner asks for a moment; nothing is stored, the step waits.
HOLD_ON = re.compile(r"^(你|您)?(先)?(等会|等一下|等等|稍等|等我|等下)")
# An answer that says the owner cannot say: asked again with the example, never stored.
# "…关不死 对了我想问一下换水龙头的钱谁出": an answer, then a question of its own after 对了 / 顺便问一下.
ASIDE = re.compile(r"[\s，,。]*(对了|顺便问(一下|下|问)?|还有个事|还想问(一下|下)?|另外问(一下|下)?)[\s，,]*"
                   r"(我)?(想)?(问(一下|下|问)?)?[\s，,]*")
CANNOT_SAY = re.compile(r"^(我)?(也)?(不知道|不清楚|说不清(楚)?|说不上来|不晓得|不懂|不会说|不好说|不确定)"
                        r"[啊呀哎诶吧呢]*$")


class Listening:
    async def hear(self, engine: DialogEngine, conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot,
                   text: str) -> Any:
        word = normalize(text)
        danger = is_danger(word)
        alarm = danger or is_emergency(word)
        if not slot.free_text and not alarm:
            return NOT_HEARD  # an emergency is heard at any step ("电梯里有股焦糊味" at 跟进还是新建)
        if alarm:
            if not danger:
                conv.values["urgent"] = True
            note = await ctx.host.emergency_note(ctx, danger=danger) if ctx.host else texts.EMERGENCY
            if slot.name == "description":  # the emergency is the description: kept, and the report is urgent
                try:
                    engine._store(conv, slot, await engine._parse(slot, ctx, text, conv.choices))
                except Invalid:
                    return await self._again(engine, conv, ctx, slot, note)
                return f"{note}\n{await engine._accepted(conv, ctx, dialog, conv.slot_index)}"
            if dialog.extract is not None:  # "电梯里关人了 3号楼的" at 家里还是公共区域: what it says is kept
                found = await dialog.extract(text, ctx) or {}
                new = {k: v for k, v in found.items() if conv.values.get(k) is None}
                if new.get(slot.name) is not None:
                    conv.values.update(new)
                    return f"{note}\n{await engine._advance(conv, ctx, dialog, conv.slot_index - 1)}"
            return await self._again(engine, conv, ctx, slot, note)
        command = command_for(ctx.registry, text) if ctx.registry is not None else None
        if command is not None and not command.typo and command.dialog.name != dialog.name:
            if not command.dialog.slots and not command.dialog.follow_up:  # 帮助, 缴费: answer, carry on here
                info = await command.dialog.submit(ctx)
                info = info.text if isinstance(info, FollowUp) else info
                prompt = await engine._prompt(conv, ctx, slot)
                return texts.QUESTION_THEN_CONTINUE.format(answer=info, prompt=prompt)
            conv.park(time.time())  # the owner started something else: keep the draft, let the router start it
            return REROUTE
        if CHANGE_OF_TOPIC.search(word):
            rest = CHANGE_OF_TOPIC.sub("", word).lstrip("，,。 ")
            rest = re.sub(r"^((我)?(先)?(问(个|一下|下|问)?(事|别的)?)|啊|那个|不(报|修|报修|投诉|弄|办)了)+", "",
                          rest).lstrip("，,。 ")  # "算了 不投诉了 先问下停车费一个月多少": the question alone
            conv.park(time.time())
            left = texts.DRAFT_KEPT.format(title=dialog.title)
            if rest and (len(rest) >= 4 or asks_something(rest)):
                answer = await engine.host.answer_question(ctx, rest)
                return f"{answer}\n\n{left}" if answer else f"{texts.NO_ANSWER_NOTED}{left}"
            return f"{left}{texts.ASK_AWAY}"
        if CORRECTION.search(word) and dialog.extract is not None:
            corrected = await self._corrected(conv, ctx, dialog, slot, text)
            said = _after_correction(text) if corrected and slot.name == "description" else ""
            if said and texts.says_what_is_wrong(normalize(said)):
                # "不对 不是门窗 是水电 窗户边上那个插座坏了": the description after the correction is kept
                try:
                    engine._store(conv, slot, await engine._parse(slot, ctx, said, conv.choices))
                    return f"{texts.CORRECTED}\n{await engine._accepted(conv, ctx, dialog, conv.slot_index)}"
                except Invalid:
                    pass
            if corrected:
                # the step may no longer be asked ("不是公共的 是我家里的" at 哪栋楼): go on from here
                return f"{texts.CORRECTED}\n{await engine._advance(conv, ctx, dialog, conv.slot_index - 1)}"
        rest = HOLD_ON.sub("", word)  # "等下 这种要是用维修基金得怎么弄" asks; "你等会 我家是哪个单元来着" recalls
        if HOLD_ON.match(word) and not slot.repeatable and ("来着" in rest or not asks_something(rest)):
            return await self._again(engine, conv, ctx, slot, texts.TAKE_YOUR_TIME)
        if (aside := ASIDE.search(text)) and aside.start() >= 4 and asks_something(text[aside.end():]) \
                and not asks_something(text[:aside.start()], strong=True):
            return await self._answer_then_question(engine, conv, ctx, dialog, slot, text[:aside.start()],
                                                    text[aside.end():])
        if asks_something(text, strong=slot.name == "description") and not texts.PHONE_AS_BEFORE.search(word) \
                and not MOBILE_IN_TEXT.search(word):  # "他电话139…" gives a number, it does not ask for one
            answer = await engine.host.answer_question(ctx, text)
            prompt = await engine._prompt(conv, ctx, slot)
            if answer:
                return texts.QUESTION_THEN_CONTINUE.format(answer=answer, prompt=prompt)
            if conv.values.get("urgent") and ctx.host is not None:  # "总阀在哪我找不着" while the water runs
                return await ctx.host.urgent_no_answer(ctx, prompt)
            return texts.NO_ANSWER_THEN_CONTINUE.format(prompt=prompt)
        if texts.is_skip(word) and not slot.optional:
            photos = next((s for s in dialog.slots[conv.slot_index + 1:] if "image" in s.accepts and s.optional
                           and s.name not in conv.values), None)
            if photos is not None and texts.NAMES_PHOTOS.search(word):  # "没照片" before the photos step: noted
                conv.values[photos.name] = [] if photos.repeatable else None
                return await self._again(engine, conv, ctx, slot, texts.NO_PHOTOS_NOTED)
            return await self._again(engine, conv, ctx, slot, texts.CANNOT_SKIP)
        if CANNOT_SAY.match(word) and not slot.repeatable:
            hint = texts.INVALID_EXAMPLE.format(example=slot.example) if slot.example else ""
            return await self._again(engine, conv, ctx, slot, f"{texts.CANNOT_SAY}{hint}")
        return NOT_HEARD

    @staticmethod
    async def _answer_then_question(engine: DialogEngine, conv: Conversation, ctx: DialogContext, dialog: Dialog,
                                    slot: Slot, said: str, question: str) -> Any:
        """"水龙头一直滴答 对了换水龙头的钱谁出": the answer is kept, the question answered, the next step asked."""
        try:
            engine._store(conv, slot, await engine._parse(slot, ctx, said.strip(" ，,。"), conv.choices))
        except Invalid:
            return NOT_HEARD
        answer = await engine.host.answer_question(ctx, question)
        prompt = await engine._accepted(conv, ctx, dialog, conv.slot_index)
        if answer:
            return texts.QUESTION_THEN_CONTINUE.format(answer=answer, prompt=prompt)
        return texts.NO_ANSWER_THEN_CONTINUE.format(prompt=prompt)

    @staticmethod
    async def _corrected(conv: Conversation, ctx: DialogContext, dialog: Dialog, slot: Slot, text: str) -> bool:
        """Earlier answers the correction changes (never the asked step's own, never the description)."""
        found = await dialog.extract(NOT_THIS.sub("", text), ctx) or {}  # "不是公共的 是我家里的": the second
        earlier = {s.name for s in dialog.slots[:conv.slot_index]} - {"description"}
        changed = {k: v for k, v in found.items() if k in earlier and k in conv.values and conv.values[k] != v}
        conv.values.update(changed)
        return bool(changed)

    @staticmethod
    async def _again(engine: DialogEngine, conv: Conversation, ctx: DialogContext, slot: Slot, lead: str) -> str:
        return f"{lead}\n{await engine._prompt(conv, ctx, slot)}"


def _after_correction(text: str) -> str:
    """The clauses of a correction that are neither the correction nor a short new value ("是水电")."""
    return " ".join(c for c in re.split(r"[\s，,。!！]+", text) if c and not CORRECTION.search(c)
                    and not NOT_THIS.search(c) and not re.fullmatch(r"(是|改成|换成|应该是)?\w{1,4}(的)?", c))
