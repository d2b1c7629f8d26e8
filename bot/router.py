"""The Bot: one owner message in, one reply out. The same router serves WeChat (bot/wechat/) and `linli chat`.

Order: expiry of an idle dialog (with a note) → events (subscribe, CLICK, ...) → the active dialog → a pending
short question outside a dialog (FAQ feedback, numbered FAQ choices, an offered hand-over) → trigger words →
转人工 / 缴费 / 访客 → the FAQ assistant's intent routing → the FAQ answer.

Hot path: one state-store round trip to read (conversation + cached profile, one MGET), one write, no
database query mid-dialog nor for a new, unbound owner (bot/owner.py); the message log is written in batches by
bot/transcript.py.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot import texts
from bot.context import DialogContext
from bot.conversation import KEY as CONV_KEY
from bot.conversation import Conversation, ConversationStore
from bot.dialogs.engine import DialogEngine
from bot.dialogs.words import is_emoji_only, normalize, numbered, parse_number
from bot.messages import Inbound, Reply
from bot.owner import load_profile
from bot.registry import DialogRegistry
from bot.services import BotServices
from bot.transcript import TranscriptWriter
from workflows.bindings.service import PROFILE_CACHE_KEY
from workflows.community.service import get_community
from workflows.db import transaction
from workflows.escalations.models import Escalation, EscalationReason
from workflows.escalations.service import open_escalation
from workflows.faq.service import record_feedback, record_unanswered
from workflows.runtime import Runtime
from workflows.statestore import StateStoreUnavailable

log = logging.getLogger("linli.bot")

MAX_QUESTION = 500  # the FAQ assistant sees at most this many characters
ROUTE_CONFIDENCE = 0.6  # intent routing below this falls back to the FAQ answer
PSEUDO_INTENTS = {
    "pay": ("缴费：交物业费、停车费等", ["我想交物业费", "怎么缴费"]),
    "visitor": ("访客登记：朋友或家人来访", ["明天下午朋友来", "访客登记"]),
    "handover": ("转人工：找客服、找真人", ["转人工", "我要找客服"]),
    "faq": ("常见问题：物业相关的提问", ["物业费怎么交？", "快递放哪？"]),
}


class Bot:
    def __init__(self, runtime: Runtime, services: BotServices | None, registry: DialogRegistry, *,
                 transcript: TranscriptWriter | None = None) -> None:
        self.runtime = runtime
        self.services = services
        self.registry = registry
        self.conversations = ConversationStore(runtime.state)
        self.transcript = transcript or TranscriptWriter(runtime)
        self.engine = DialogEngine(registry, self)
        self._intents: list[Any] | None = None

    @property
    def assistant(self) -> Any:
        return getattr(self.services, "assistant", None)

    # --- the one entry point -------------------------------------------------------------------------------
    async def respond(self, inbound: Inbound) -> Reply:
        """Answer one message; raises StateStoreUnavailable when the state store is down (the edge answers)."""
        state = self.runtime.state
        conv_raw, owner_raw = await state.get_many([CONV_KEY.format(openid=inbound.openid),
                                                     PROFILE_CACHE_KEY.format(openid=inbound.openid)])
        conv = Conversation.from_json(inbound.openid, conv_raw)
        owner = await load_profile(self.runtime, inbound.openid, cached=owner_raw, cache_read=True)
        ctx = DialogContext(inbound=inbound, owner=owner, runtime=self.runtime, services=self.services,
                            registry=self.registry)
        self._log_inbound(inbound, owner.default_community_id)
        try:
            text = await self._route(conv, ctx)
        except StateStoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - a broken step must not trap the owner: say sorry, start afresh
            log.exception("routing a message from %s failed", inbound.openid)
            conv.end_dialog()
            conv.pending = None
            text = texts.SORRY
        await self.conversations.save(conv)
        if text:
            self.transcript.append(openid=inbound.openid, direction="out", content=text, channel=inbound.channel,
                                   community_id=owner.default_community_id)
        return Reply(text=text)

    def _log_inbound(self, inbound: Inbound, community_id: int) -> None:
        if inbound.msg_type == "event":
            content = f"[{inbound.event}] {inbound.event_key or ''}".strip()
        elif inbound.msg_type in ("text", "voice") and inbound.content:
            content = inbound.content
        else:
            content = f"[{inbound.msg_type}] {inbound.local_path or inbound.pic_url or inbound.url or ''}".strip()
        self.transcript.append(openid=inbound.openid, direction="in", content=content, msg_type=inbound.msg_type,
                               wechat_msg_id=inbound.msg_id, channel=inbound.channel, community_id=community_id)

    # --- routing ---------------------------------------------------------------------------------------------
    async def _route(self, conv: Conversation, ctx: DialogContext) -> str:
        inbound = ctx.inbound
        idle_limit = self.runtime.settings.dialog_idle_minutes * 60
        note = ""
        if conv.idle_for(time.time()) > idle_limit:
            if conv.in_dialog:
                dialog = self.registry.get(conv.dialog or "")
                note = texts.EXPIRED.format(title=dialog.title if dialog else texts.A_DIALOG)
                conv.end_dialog()
                if inbound.msg_type == "text" and _is_short_answer(inbound.content):
                    return note  # "1" meant for the expired dialog means nothing now
            conv.pending = None
        reply = await self._route_fresh(conv, ctx)
        return f"{note}\n{reply}" if note and reply else (note or reply)

    async def _route_fresh(self, conv: Conversation, ctx: DialogContext) -> str:
        inbound = ctx.inbound
        if inbound.msg_type == "event":
            return await self._event(conv, ctx)
        if conv.in_dialog:
            reply = await self.engine.handle(conv, ctx)
            if reply is not None:
                return reply
        if inbound.msg_type not in ("text", "voice") or not (inbound.content or "").strip():
            conv.pending = None
            if inbound.msg_type == "text":
                return texts.EMPTY_TEXT
            return texts.UNSUPPORTED.get(inbound.msg_type, texts.UNSUPPORTED_DEFAULT)
        return await self._text(conv, ctx, inbound.content.strip())

    async def _event(self, conv: Conversation, ctx: DialogContext) -> str:
        event = (ctx.inbound.event or "").lower()
        key = ctx.inbound.event_key or ""
        if event in ("subscribe", "scan"):
            if ctx.owner.is_bound:
                return texts.WELCOME_BACK
            return texts.WELCOME.format(community=await self._community_name(ctx.owner.default_community_id))
        if event == "unsubscribe":
            conv.end_dialog()
            conv.pending = None
            return ""
        if event == "click":
            return await self._menu(conv, ctx, key)
        return ""  # VIEW opens a page; LOCATION reports are kept for later use

    async def _menu(self, conv: Conversation, ctx: DialogContext, key: str) -> str:
        dialog = self.registry.by_menu_key(key)
        if dialog is not None:
            return await self.engine.start(conv, ctx, dialog)
        conv.end_dialog()
        if key == "PAY":
            return await self._not_yet(ctx, texts.PAY, texts.MENU_PAY)
        if key == "VISITOR":
            return await self._not_yet(ctx, texts.VISITOR, texts.MENU_VISITOR)
        if key == "HUMAN":
            return await self.escalate(ctx, EscalationReason.ASKED_FOR_PERSON, texts.MENU_HUMAN)
        if key == "FAQ":
            return texts.FAQ_PROMPT
        help_dialog = self.registry.get("help")  # MORE and unknown keys
        return await self.engine.start(conv, ctx, help_dialog) if help_dialog else texts.FAQ_PROMPT

    async def _text(self, conv: Conversation, ctx: DialogContext, text: str) -> str:
        if is_emoji_only(text):
            conv.pending = None
            return texts.EMOJI_ONLY
        word = normalize(text)
        if conv.pending:
            reply = await self._pending(conv, ctx, word)
            if reply is not None:
                return reply
        conv.pending = None
        for claimant in self.registry.claimants():
            if await claimant.claims(text, ctx):
                return await self.engine.start(conv, ctx, claimant, text=text[:MAX_QUESTION])
        dialog = self.registry.by_trigger(text)
        if dialog is not None:
            exact = word in {normalize(t) for t in dialog.triggers}
            return await self.engine.start(conv, ctx, dialog, text="" if exact else text[:MAX_QUESTION])
        if word in texts.HANDOVER_WORDS:
            return await self.escalate(ctx, EscalationReason.ASKED_FOR_PERSON, text[:MAX_QUESTION])
        if word in texts.PAY_WORDS:
            return await self._not_yet(ctx, texts.PAY, text)
        if word in texts.VISITOR_WORDS:
            return await self._not_yet(ctx, texts.VISITOR, text)
        prefix = texts.TOO_LONG_NOTE if len(text) > MAX_QUESTION else ""
        return prefix + await self._assistant(conv, ctx, text[:MAX_QUESTION])

    # --- the FAQ assistant -----------------------------------------------------------------------------------
    async def _assistant(self, conv: Conversation, ctx: DialogContext, question: str) -> str:
        assistant = self.assistant
        if assistant is None:
            conv.pending = {"kind": "offer_handover", "reason": EscalationReason.LOW_CONFIDENCE.value,
                            "question": question}
            return texts.ASSISTANT_MISSING
        try:
            guess = await assistant.route(text=question, intents=self.intent_specs())
        except Exception:  # noqa: BLE001 - routing is a help, never a failure
            log.exception("intent routing failed")
            guess = None
        intent = getattr(guess, "intent", None)
        if intent and (getattr(guess, "confidence", 0.0) or 0.0) >= ROUTE_CONFIDENCE:
            dialog = self.registry.get(intent)
            if dialog is not None:
                return await self.engine.start(conv, ctx, dialog, text=question,
                                               prefill=dict(getattr(guess, "slots", None) or {}))
            if intent == "handover":
                return await self.escalate(ctx, EscalationReason.ASKED_FOR_PERSON, question)
            if intent in ("pay", "visitor"):
                return await self._not_yet(ctx, texts.PAY if intent == "pay" else texts.VISITOR, question)
        try:
            answer = await assistant.answer(community_id=ctx.owner.default_community_id, question=question)
        except Exception:  # noqa: BLE001
            log.exception("FAQ answer failed")
            answer = None
        return await self._present(conv, ctx, answer, question)

    async def _present(self, conv: Conversation, ctx: DialogContext, answer: Any, question: str) -> str:
        kind = getattr(answer, "kind", "unknown")
        if kind == "chat":  # thanks, ok, goodbye: a kind word back, nothing to record or offer
            return answer.text
        if kind == "answer":
            conv.unknown_count = 0
            conv.pending = {"kind": "feedback", "entry_id": getattr(answer, "entry_id", None), "question": question}
            return f"{answer.text}\n\n{texts.FEEDBACK_ASK}"
        if kind == "choices" and answer.choices:
            conv.unknown_count = 0
            choices = [[q, entry_id] for q, entry_id in list(answer.choices)[:5]]
            conv.pending = {"kind": "faq_choices", "choices": choices, "question": question}
            return f"{texts.CHOOSE_QUESTION}\n{numbered([q for q, _ in choices])}"
        conv.unknown_count += 1
        await self._record_unanswered(ctx, question)
        if conv.unknown_count >= 2:
            conv.unknown_count = 0
            return await self.escalate(ctx, EscalationReason.LOW_CONFIDENCE, question)
        conv.pending = {"kind": "offer_handover", "reason": EscalationReason.LOW_CONFIDENCE.value,
                        "question": question}
        return texts.UNKNOWN_OFFER

    async def _pending(self, conv: Conversation, ctx: DialogContext, word: str) -> str | None:
        """A short answer to what the bot just asked outside a dialog; None: it was something else."""
        pending = conv.pending or {}
        kind = pending.get("kind")
        if kind == "feedback" and word in texts.FEEDBACK_YES_WORDS + texts.FEEDBACK_NO_WORDS:
            conv.pending = None
            helpful = word in texts.FEEDBACK_YES_WORDS
            await self._record_feedback(ctx, pending, helpful)
            if helpful:
                return texts.FEEDBACK_THANKS
            handed = await self.escalate(ctx, EscalationReason.UNHELPFUL_ANSWER, pending.get("question", ""))
            return f"{texts.FEEDBACK_SORRY}{handed}"
        if kind == "faq_choices":
            number = parse_number(word)
            choices = pending.get("choices", [])
            if number is not None and 1 <= number <= len(choices):
                conv.pending = None
                try:
                    answer = await self.assistant.answer_entry(community_id=ctx.owner.default_community_id,
                                                               entry_id=choices[number - 1][1])
                except Exception:  # noqa: BLE001
                    log.exception("FAQ entry answer failed")
                    answer = None
                return await self._present(conv, ctx, answer, choices[number - 1][0])
        if kind == "offer_handover":
            if word in texts.YES_WORDS or word in texts.HANDOVER_WORDS:
                conv.pending = None
                reason = EscalationReason(pending.get("reason", EscalationReason.LOW_CONFIDENCE.value))
                return await self.escalate(ctx, reason, pending.get("question", ""))
            if word in texts.NO_WORDS:
                conv.pending = None
                conv.unknown_count = 0
                return texts.HANDOVER_DECLINED
        return None

    async def _record_feedback(self, ctx: DialogContext, pending: dict[str, Any], helpful: bool) -> None:
        """The owner's 1/2 goes to workflows.faq, where staff see unhelpful answers (best effort)."""
        try:
            async with transaction(self.runtime.sessions) as session:
                await record_feedback(session, community_id=ctx.owner.default_community_id, openid=ctx.openid,
                                      entry_id=pending.get("entry_id"), question=pending.get("question", ""),
                                      helpful=helpful)
        except Exception:  # noqa: BLE001 - feedback must not cost the owner their answer
            log.exception("recording FAQ feedback failed")

    async def _record_unanswered(self, ctx: DialogContext, question: str) -> None:
        """A question the FAQ could not answer, listed for staff so the FAQ grows where owners need it."""
        try:
            async with transaction(self.runtime.sessions) as session:
                await record_unanswered(session, community_id=ctx.owner.default_community_id, openid=ctx.openid,
                                        question=question)
        except Exception:  # noqa: BLE001
            log.exception("recording an unanswered question failed")

    def intent_specs(self) -> list[Any]:
        """What intent routing may choose: every registered dialog plus the pseudo-intents (knowledge's IntentSpec)."""
        if self._intents is None:
            try:
                from knowledge.intents import IntentSpec  # type: ignore[import-not-found]
            except ImportError:
                IntentSpec = None  # noqa: N806 - knowledge not installed yet: plain dicts
            specs = []
            for dialog in self.registry.all():
                slots = [(s.name, s.label or (s.prompt if isinstance(s.prompt, str) else s.name))
                         for s in dialog.slots]
                specs.append((dialog.name, dialog.description or dialog.title, list(dialog.triggers), slots))
            specs += [(name, desc, examples, []) for name, (desc, examples) in PSEUDO_INTENTS.items()
                      if self.registry.get(name) is None]
            self._intents = [
                IntentSpec(name=n, description=d, examples=e, slots=s) if IntentSpec else
                {"name": n, "description": d, "examples": e, "slots": s} for n, d, e, s in specs]
        return self._intents

    # --- hand-over and the not-yet-available answers -------------------------------------------------------
    async def open_escalation(self, ctx: DialogContext, reason: EscalationReason, question: str) -> Escalation:
        """Flush the transcript so staff see the whole conversation, then open (or join) the owner's escalation."""
        try:
            await self.transcript.flush()
        except Exception:  # noqa: BLE001 - the escalation matters more than its transcript
            log.exception("flushing the transcript before an escalation failed")
        async with transaction(self.runtime.sessions) as session:
            return await open_escalation(session, community_id=ctx.owner.default_community_id, openid=ctx.openid,
                                         reason=reason, question=question[:4000])

    async def escalate(self, ctx: DialogContext, reason: EscalationReason, question: str) -> str:
        """Hand the owner to a person and say so, with the sayable number."""
        if not ctx.owner.default_community_id:  # a fresh deployment: no community, so no staff to hand over to
            return texts.NO_COMMUNITY_YET
        try:
            escalation = await self.open_escalation(ctx, reason, question)
        except Exception:  # noqa: BLE001
            log.exception("opening an escalation failed")
            return texts.HANDOVER_FAILED.format(phone=await self._community_phone(ctx.owner.default_community_id))
        return texts.HANDOVER_OPENED.format(number=escalation.number)

    async def _not_yet(self, ctx: DialogContext, what: str, question: str) -> str:
        """缴费/访客 are not open in the bot yet: say so honestly, give the phone, and have staff follow up."""
        if not ctx.owner.default_community_id:
            return texts.NO_COMMUNITY_YET
        phone = await self._community_phone(ctx.owner.default_community_id)
        try:
            escalation = await self.open_escalation(ctx, EscalationReason.NOT_YET_AVAILABLE, f"[{what}] {question}")
        except Exception:  # noqa: BLE001
            log.exception("opening a not-yet-available escalation failed")
            return texts.HANDOVER_FAILED.format(phone=phone)
        return texts.NOT_YET_AVAILABLE.format(what=what, number=escalation.number, phone=phone)

    async def answer_question(self, ctx: DialogContext, text: str) -> str | None:
        """A question in the middle of a dialog: the FAQ answer text, or None when there is no good answer."""
        if self.assistant is None:
            return None
        try:
            answer = await self.assistant.answer(community_id=ctx.owner.default_community_id,
                                                 question=text[:MAX_QUESTION])
        except Exception:  # noqa: BLE001
            log.exception("FAQ answer in a dialog failed")
            return None
        return answer.text if getattr(answer, "kind", "") == "answer" else None

    async def _community(self, community_id: int) -> Any:
        async with self.runtime.sessions() as session:
            return await get_community(session, community_id=community_id)

    async def _community_name(self, community_id: int) -> str:
        community = await self._community(community_id)
        return community.name if community else ""

    async def _community_phone(self, community_id: int) -> str:
        community = await self._community(community_id)
        return community.phone if community and community.phone else texts.NO_PHONE


def _is_short_answer(text: str) -> bool:
    word = normalize(text)
    return parse_number(word) is not None or word in texts.YES_WORDS or word in texts.NO_WORDS
