"""The Bot: one owner message in, one reply out. The same router serves WeChat (bot/wechat/) and `linli chat`.

Order: expiry of an idle dialog (with a note; follow-ups expire silently) → events (subscribe, CLICK, ...) → the
active dialog (follow-ups such as 有帮助吗 and 要转人工吗 are dialogs too) → a message that as a whole is a command
(bot/commands.py: exact triggers, "报修 厨房漏水", a typo close to a command is confirmed) → intent routing over the
language the dialogs declare → the FAQ answer.

Hot path: one state-store round trip to read (conversation + cached profile, one MGET), one write, no
database query mid-dialog nor for a new, unbound owner (bot/owner.py); the message log is written in batches by
bot/transcript.py.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from bot import directory, texts
from bot.commands import command_for
from bot.context import DialogContext
from bot.conversation import KEY as CONV_KEY
from bot.conversation import TOPIC_KEEP_S, Conversation, ConversationStore
from bot.dialogs.emergency import is_danger, is_emergency
from bot.dialogs.engine import DialogEngine
from bot.dialogs.listening import Listening
from bot.dialogs.spec import FollowUp
from bot.dialogs.words import is_emoji_only, looks_like_question, normalize, parse_number
from bot.faq_limits import NEEDS_PERSON, OUTSIDE_REMIT
from bot.handover import Handover
from bot.messages import Inbound, Reply
from bot.owner import load_profile
from bot.registry import DialogRegistry
from bot.services import BotServices
from bot.transcript import TranscriptWriter
from bot.two_asks import two_asks
from workflows.bindings.service import PROFILE_CACHE_KEY
from workflows.community.service import get_community
from workflows.db import transaction
from workflows.escalations.models import EscalationReason
from workflows.faq.service import record_feedback, record_unanswered
from workflows.runtime import Runtime
from workflows.statestore import StateStoreUnavailable

log = logging.getLogger("linli.bot")

MAX_QUESTION = 500  # the FAQ assistant sees at most this many characters
ROUTE_CONFIDENCE = 0.6  # intent routing below this falls back to the FAQ answer


class Bot(Handover):
    def __init__(self, runtime: Runtime, services: BotServices | None, registry: DialogRegistry, *,
                 transcript: TranscriptWriter | None = None) -> None:
        self.runtime = runtime
        self.services = services
        self.registry = registry
        self.conversations = ConversationStore(runtime.state)
        self.transcript = transcript or TranscriptWriter(runtime)
        self.engine = DialogEngine(registry, self, listener=Listening())

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
                            registry=self.registry, conversation=conv, host=self)
        self._log_inbound(inbound, owner.default_community_id)
        try:
            text = await self._route(conv, ctx)
        except StateStoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - a broken step must not trap the owner: say sorry, start afresh
            log.exception("routing a message from %s failed", inbound.openid)
            conv.end_dialog()
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
        if conv.idle_for(time.time()) > idle_limit and conv.in_dialog:
            dialog = self.registry.get(conv.dialog or "")
            quiet = dialog is not None and dialog.follow_up
            conv.end_dialog()
            if not quiet:
                note = texts.EXPIRED.format(title=dialog.title if dialog else texts.A_DIALOG)
                if inbound.msg_type == "text" and _is_short_answer(inbound.content):
                    return note  # "1" meant for the expired dialog means nothing now
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
            only = await directory.sole_community(self.runtime)  # several communities: none named before binding
            return texts.WELCOME.format(community=await self._community_name(only) if only else "")
        if event == "unsubscribe":
            conv.end_dialog()
            return ""
        if event == "click":
            return await self._menu(conv, ctx, key)
        return ""  # VIEW opens a page; LOCATION reports are kept for later use

    async def _menu(self, conv: Conversation, ctx: DialogContext, key: str) -> str:
        dialog = self.registry.by_menu_key(key)
        if dialog is not None:
            return await self.engine.start(conv, ctx, dialog)
        conv.end_dialog()
        if key == "FAQ":
            return texts.FAQ_PROMPT
        help_dialog = self.registry.get("help")  # MORE and unknown keys
        return await self.engine.start(conv, ctx, help_dialog) if help_dialog else texts.FAQ_PROMPT

    async def _text(self, conv: Conversation, ctx: DialogContext, text: str) -> str:
        if is_emoji_only(text):
            return texts.EMOJI_ONLY
        for claimant in self.registry.claimants():  # a bare 1/2 to a question Linli sent on its own (a walk-in)
            if await claimant.claims(text, ctx):
                return await self.engine.start(conv, ctx, claimant, text=text[:MAX_QUESTION])
        if len(normalize(rest := texts.WRONG_LEAD.sub("", text))) >= 2:
            text = rest
        word = normalize(text)
        if len(word) <= 14 and texts.CHANGED_MIND.search(word) and not looks_like_question(word):
            return texts.HANDOVER_DECLINED  # "报修。。算了没事了": nothing to start
        person = self.registry.by_trigger("转人工")
        asked = (texts.HANDOVER_PHRASE.search(word) and len(word) <= 24) or texts.PLAIN_HANDOVER.search(word)
        if asked and not texts.ABOUT_THE_BOT.search(word):
            if person is not None:  # "好 找个人问问": asked for, whatever routing would guess
                return await self.engine.start(conv, ctx, person, text=text[:MAX_QUESTION])
        if texts.RATING_PHRASE.search(word) and len(word) <= 30:
            rate = self.registry.by_trigger("评价")  # "师傅挺好 给个满意": a rating, not praise to pass on
            if rate is not None:
                return await self.engine.start(conv, ctx, rate, text=text[:MAX_QUESTION])
        parked = self.registry.get((conv.parked or {}).get("dialog") or "")
        if parked is not None and len(word) <= 16 and texts.RESUME_PHRASE.search(word):
            return await self.engine.start(conv, ctx, parked)  # the draft it kept, from where it was left
        if is_danger(word) and not looks_like_question(word) and person is not None:
            note = await self.emergency_note(ctx, danger=True)  # 110 first; a person follows it up
            return f"{note}\n{await self.engine.start(conv, ctx, person, text=text[:MAX_QUESTION])}"
        emergency = self.registry.for_emergencies()
        if emergency is not None and is_emergency(word) and not looks_like_question(word) \
                and not HYPOTHETICAL.search(word):  # "电梯困人的话该打哪个电话": asks ahead of time
            return await self.engine.start(conv, ctx, emergency, text=text[:MAX_QUESTION])  # 电梯里关着人 出不来
        if texts.PRAISE.search(word) and not texts.PRAISE_BUT.search(word) and not looks_like_question(word):
            return texts.PRAISE_THANKS  # "王师傅手脚麻利 给他点个赞": thanked, nothing started
        if (both := two_asks(self.registry, text)) is not None:  # "车库月卡多少钱 … 我要投诉"
            prompt = await self.engine.start(conv, ctx, both.command.dialog, text=both.command.text[:MAX_QUESTION])
            if not both.question:
                return prompt
            answer = await self.answer_question(ctx, both.question)
            return f"{answer}\n\n{prompt}" if answer else f"{texts.NO_ANSWER_NOTED}{prompt}"
        command = command_for(self.registry, text)
        if command is not None:
            if command.typo:
                return await self.start_follow_up(conv, ctx, FollowUp("", "did_you_mean", {
                    "meant": command.dialog.name, "title": command.dialog.title, "said": command.text}))
            return await self.engine.start(conv, ctx, command.dialog, text=command.text[:MAX_QUESTION])
        prefix = texts.TOO_LONG_NOTE if len(text) > MAX_QUESTION else ""
        return prefix + await self._assistant(conv, ctx, text[:MAX_QUESTION])

    async def start_follow_up(self, conv: Conversation, ctx: DialogContext, result: str | FollowUp) -> str:
        """A reply that may carry a follow-up question (有帮助吗, 要转人工吗): start it on this conversation."""
        if not isinstance(result, FollowUp):
            return result
        dialog = self.registry.get(result.dialog)
        if dialog is None:
            return result.text
        prompt = await self.engine.start(conv, ctx, dialog, values=result.values)
        return f"{result.text}\n\n{prompt}" if result.text else prompt

    # --- the FAQ assistant -----------------------------------------------------------------------------------
    async def route(self, text: str) -> Any:
        """Intent routing over the dialogs' declared language; None when routing is unavailable."""
        assistant = self.assistant
        if assistant is None:
            return None
        try:
            return await assistant.route(text=text, intents=self.registry.intent_specs())
        except Exception:  # noqa: BLE001 - routing is a help, never a failure
            log.exception("intent routing failed")
            return None

    async def _assistant(self, conv: Conversation, ctx: DialogContext, question: str) -> str:
        assistant = self.assistant
        if assistant is None:
            return await self.start_follow_up(conv, ctx, await self.offer_person(
                ctx, EscalationReason.LOW_CONFIDENCE, question, texts.ASSISTANT_MISSING))
        guess = await self.route(question)
        intent = getattr(guess, "intent", None)
        if intent and (getattr(guess, "confidence", 0.0) or 0.0) >= ROUTE_CONFIDENCE:
            dialog = self.registry.get(intent)
            if dialog is not None and not _not_for(dialog, question):
                return await self.engine.start(conv, ctx, dialog, text=question,
                                               prefill=dict(getattr(guess, "slots", None) or {}))
        topic = ""
        try:
            answer = await assistant.answer(community_id=await self.faq_community(ctx), question=question)
            if getattr(answer, "kind", "") == "unknown" and (topic := _topic_of(conv, question)):
                # "物业费能去哪交" … "那手机上能交不": the follow-on read with the question it follows
                again = await assistant.answer(community_id=await self.faq_community(ctx),
                                               question=f"{topic} {question}")
                if getattr(again, "kind", "") == "answer":
                    answer, question = again, f"{topic} {question}"
        except Exception:  # noqa: BLE001
            log.exception("FAQ answer failed")
            answer = None
        if getattr(answer, "kind", "") == "answer":  # the standalone question stays the topic of its follow-ons
            conv.topic, conv.topic_at = (topic or question)[:MAX_QUESTION], time.time()
        return await self.start_follow_up(conv, ctx, await self.presented(ctx, answer, question))

    async def presented(self, ctx: DialogContext, answer: Any, question: str) -> str | FollowUp:
        """An FAQ answer as the owner sees it, with its follow-up question (有帮助吗 / which one / 要转人工吗)."""
        conv = ctx.conversation
        kind = getattr(answer, "kind", "unknown")
        if kind == "unknown" and answer is not None and await self._ask_community_first(ctx, question):
            return FollowUp("", "faq_community", {"question": question})  # "停车费多少" before binding: whose?
        if kind == "chat":  # thanks, ok, goodbye: a kind word back, nothing to record or offer
            return answer.text
        if kind == "answer" and OUTSIDE_REMIT.search(normalize(question)):
            kind = "unknown"  # the noodle shop's hours or another community's fees: no rule of ours answers it
        if kind == "answer" and NEEDS_PERSON.search(normalize(question)):
            conv.unknown_count = 0  # what the rules say, then a person for the particular case
            return await self.offer_person(ctx, EscalationReason.LOW_CONFIDENCE, question,
                                           f"{answer.text}\n\n{texts.PARTICULAR_CASE}")
        if kind == "answer":
            conv.unknown_count = 0
            return FollowUp(answer.text, "faq_feedback", {"entry_id": getattr(answer, "entry_id", None),
                                                          "question": question})
        if kind == "choices" and answer.choices:
            conv.unknown_count = 0
            choices = [[q, entry_id] for q, entry_id in list(answer.choices)[:5]]
            return FollowUp("", "faq_choices", {"choices": choices, "question": question})
        conv.unknown_count += 1
        await self._record_unanswered(ctx, question)
        unknown = texts.UNKNOWN if await self.faq_community(ctx) or not ctx.owner.default_community_id \
            else texts.UNKNOWN_UNBOUND  # several communities: binding lets their own FAQ answer
        return await self.offer_person(ctx, EscalationReason.LOW_CONFIDENCE, question, unknown)

    async def faq_community(self, ctx: DialogContext) -> int | None:
        """Whose FAQ answers the owner: their community once bound; before that the account's only community, or,
        with several (or none yet), the shared entries alone — never the FAQ of a community they may not live in."""
        if ctx.owner.is_bound:
            return ctx.owner.default_community_id
        return await directory.sole_community(self.runtime) or ctx.conversation.said_community or None

    async def _ask_community_first(self, ctx: DialogContext, question: str) -> bool:
        """The shared entries did not answer an owner who has not bound yet, on an account of several communities,
        and a community's own FAQ would: ask which one they live in (once) rather than answer from one they may not
        live in. A question no community's FAQ answers (the market's opening hours), or one only a person can look
        up (this household's bill), is not worth the detour."""
        word = normalize(question)
        if ctx.owner.is_bound or ctx.conversation.said_community or self.registry.get("faq_community") is None \
                or OUTSIDE_REMIT.search(word) or NEEDS_PERSON.search(word):
            return False
        places = await directory.communities(self.runtime)
        if len(places) < 2:
            return False
        for place in places:
            answer = await self._faq_answer(place.id, question)
            if answer is None:  # the plain "not known" follows
                return False
            if getattr(answer, "kind", "") in ("answer", "choices"):
                return True
        return False

    async def answer_in_community(self, ctx: DialogContext, question: str) -> str | FollowUp:
        """The owner said which community they live in: the question again, from that community's FAQ."""
        answer = await self._faq_answer(await self.faq_community(ctx), question)
        if getattr(answer, "kind", "") == "answer":
            ctx.conversation.topic, ctx.conversation.topic_at = question[:MAX_QUESTION], time.time()
        return await self.presented(ctx, answer, question)

    async def _faq_answer(self, community_id: int | None, question: str) -> Any:
        """The FAQ's answer from one scope; None when the assistant failed (logged)."""
        try:
            return await self.assistant.answer(community_id=community_id, question=question)
        except Exception:  # noqa: BLE001 - an FAQ failure must not cost the owner a reply
            log.exception("FAQ answer failed")
            return None

    async def answer_entry(self, ctx: DialogContext, entry_id: Any, question: str) -> str | FollowUp:
        """The owner picked one of the listed questions."""
        try:
            answer = await self.assistant.answer_entry(community_id=await self.faq_community(ctx),
                                                       entry_id=entry_id)
        except Exception:  # noqa: BLE001
            log.exception("FAQ entry answer failed")
            answer = None
        return await self.presented(ctx, answer, question)

    async def record_feedback(self, ctx: DialogContext, *, entry_id: Any, question: str, helpful: bool) -> None:
        """The owner's 1/2 goes to workflows.faq, where staff see unhelpful answers (best effort)."""
        try:
            async with transaction(self.runtime.sessions) as session:
                await record_feedback(session, community_id=ctx.owner.default_community_id, openid=ctx.openid,
                                      entry_id=entry_id, question=question, helpful=helpful)
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

    async def answer_question(self, ctx: DialogContext, text: str) -> str | None:
        """A question in the middle of a dialog: the FAQ answer text, or None when there is no good answer."""
        if self.assistant is None:
            return None
        answer = await self._faq_answer(await self.faq_community(ctx), text[:MAX_QUESTION])
        return answer.text if getattr(answer, "kind", "") == "answer" else None

    async def _community(self, community_id: int) -> Any:
        async with self.runtime.sessions() as session:
            return await get_community(session, community_id=community_id)

    async def _community_name(self, community_id: int) -> str:
        community = await self._community(community_id)
        return community.name if community else ""


QUESTION = re.compile(r"怎么|怎样|如何|多少|几点|哪|谁|什么|多久|能不能|可不可以|要不要|是否|咋|啥|吗|呢|[?？]|不$")


HYPOTHETICAL = re.compile(r"的话|如果|万一|以防|假如")
# "那手机上能交不", "那线下去哪交", "要是租户呢": a short question that goes on from the last one.
FOLLOW_ON = re.compile(r"^(那|那么|那要是|那如果|要是|如果|还有)(?!个)")


def _topic_of(conv: Conversation, question: str) -> str:
    """The question a short follow-on goes on from ("" when it stands on its own or the last one is old)."""
    word = normalize(question)
    if not conv.topic or time.time() - conv.topic_at > TOPIC_KEEP_S or len(word) > 15 or not FOLLOW_ON.match(word):
        return ""
    return conv.topic


def _not_for(dialog: Any, text: str) -> bool:
    """What the whole message says against a dialog routing guessed: its excludes (维修基金, 投诉箱), or a question
    to a dialog that is only worth starting when asked for (物业费在哪交 is a question for the FAQ)."""
    word = normalize(text)
    return bool((dialog.excludes and re.search(dialog.excludes, word))
                or (dialog.explicit_only and QUESTION.search(word)))


def _is_short_answer(text: str) -> bool:
    word = normalize(text)
    return parse_number(word) is not None or word in texts.YES_WORDS or word in texts.NO_WORDS
