"""Short questions the bot itself asks outside a guided dialog, run by the same engine: 这个回答有帮助吗 (FAQ
feedback), 您是想问哪一个 (numbered FAQ choices), 您住在哪个小区 (an owner not bound yet, on an account of several
communities), 要转人工吗 (the hand-over offer) and 您是要报修吗 (a typo close to a command). Each is a one-slot
follow-up dialog: an answer is handled, anything else leaves it and is routed afresh."""

from __future__ import annotations

import re

from bot import texts
from bot.context import DialogContext
from bot.dialogs.parsers import account_communities
from bot.dialogs.spec import Choice, Dialog, FollowUp, Invalid, Slot
from bot.dialogs.words import normalize
from workflows.escalations.models import EscalationReason

YES = ("1", "是", "是的", "好", "好的", "要", "需要", "确认", "确定", "对", "可以", "嗯", "行", "转", "转人工", "人工")
NO = ("2", "否", "不", "不用", "不要", "不用了", "不需要", "算了", "没事", "不是")
_NO = re.compile(r"^(先|暂时|暂且)?(不|别|没事|算了|否|2$)")  # "先不用 我问问居委会"
_YES = re.compile(r"^(是|对|嗯|好|要|行|可以|需要|确认|确定|转|麻烦|帮我|1$)")
_LEAD = re.compile(r"^((那你就|那你|那就|你就|那|就)[\s，,]*)+")  # "那你帮我问问": the yes after a filler
_QUESTION = re.compile(r"多少|几点|电话|怎么|哪|什么|吗|呢|[?？]|咋|啥|想问|(?<!帮我)(?<!帮忙)问一下")
# "好的谢谢", "行 谢谢了", "知道了": a thank-you closes the matter; it is no yes to a person or a dialog.
_ASKS = re.compile(r"转|人工|麻烦|帮我|需要|要的")  # "麻烦转一下 谢谢" does ask
# "行 我试试", "好 我先去看看": the owner will try on their own first.
_THANKS = re.compile(r"谢|知道了|明白了|懂了|晓得了|没事了|解决了|问题不大|拜拜|再见|先这样|就这样|回头|再想想|我自己"
                     r"|我(先|再)?(去)?试试|我先(去|自己)?(看看|问问)")


async def yes_no(ctx: DialogContext) -> list[Choice]:
    return [Choice(True, texts.OFFER_YES_LABEL, YES), Choice(False, texts.OFFER_NO_LABEL, NO)]


async def parse_yes_no(text: str, ctx: DialogContext) -> bool:
    """"对对 是报修", "嗯嗯", "不用 我自己去问": an answer; "算了 那物业电话多少" is a new question, not an answer."""
    word = _LEAD.sub("", normalize(text)) or normalize(text)
    if _QUESTION.search(word) and len(word) > 3:
        raise Invalid("")
    if _NO.match(word) or (_THANKS.search(word) and not _ASKS.search(word)):
        return False
    if _YES.match(word):
        return True
    raise Invalid("")


# "那我自己打厂家电话问吧": the owner will see to it; "行 我家厨房水龙头一直滴水 就按这个报吧": a yes that goes on
# about something else is that something else, not a yes to a person.
_ON_MY_OWN = re.compile(r"我(自己|先|再)(去|来)?(打|问|找|看|试|联系)")
_STILL_ASKS = re.compile(r"[吗呢?？]|能不能|行不行|可以不|可不可以")
_PERSON = re.compile(r"人|客服|联系|电话|回电|打给|找我")


async def parse_offer_answer(text: str, ctx: DialogContext) -> bool:
    word = _LEAD.sub("", normalize(text)) or normalize(text)
    if _ON_MY_OWN.search(word) and not _STILL_ASKS.search(word) and not _ASKS.search(word):
        return False
    yes = await parse_yes_no(text, ctx)
    said = _YES.match(word)
    rest = word[said.end():].lstrip("的了吧啊，,。 ") if yes and said else ""
    if len(rest) > 8 and not (_ASKS.search(rest) or _PERSON.search(rest)):
        raise Invalid("")
    return yes


async def feedback_choices(ctx: DialogContext) -> list[Choice]:
    return [Choice(True, texts.FEEDBACK_YES_LABEL, ("有帮助", "有用", "好的", "谢谢")),
            Choice(False, texts.FEEDBACK_NO_LABEL, ("没帮助", "没用", "不对", "没有帮助"))]


async def record_feedback(ctx: DialogContext) -> str | FollowUp:
    helpful = bool(ctx.values["helpful"])
    await ctx.host.record_feedback(ctx, entry_id=ctx.values.get("entry_id"), question=ctx.values.get("question", ""),
                                   helpful=helpful)
    if helpful:
        return texts.FEEDBACK_THANKS
    return await ctx.host.offer_person(ctx, EscalationReason.UNHELPFUL_ANSWER, ctx.values.get("question", ""),
                                       texts.FEEDBACK_SORRY)


async def listed_questions(ctx: DialogContext) -> list[Choice]:
    return [Choice(entry_id, question) for question, entry_id in ctx.values.get("choices", [])]


async def answer_picked(ctx: DialogContext) -> str | FollowUp:
    entry_id = ctx.values["picked"]
    question = next((q for q, e in ctx.values.get("choices", []) if e == entry_id), "")
    return await ctx.host.answer_entry(ctx, entry_id, question)


async def answer_in_community(ctx: DialogContext) -> str | FollowUp:
    ctx.conversation.said_community = int(ctx.values["community"])
    return await ctx.host.answer_in_community(ctx, ctx.values.get("question", ""))


async def hand_over_or_not(ctx: DialogContext) -> str:
    if not ctx.values["yes"]:
        ctx.host.declined_person(ctx)
        return texts.HANDOVER_DECLINED
    reason = EscalationReason(ctx.values.get("reason", EscalationReason.LOW_CONFIDENCE.value))
    return await ctx.host.escalate(ctx, reason, ctx.values.get("question", ""))


_YES_LEAD = re.compile(r"^[\s，,。.!！]*((是的?|对的?|嗯+|好的?|要|没错|确认|对对)[\s，,。.!！]*)+")


async def start_meant(ctx: DialogContext) -> str | FollowUp:
    """Yes: the dialog starts, reading whatever the owner said after the yes ("对 家里卫生间灯坏了")."""
    if not ctx.values["yes"]:
        return texts.HANDOVER_DECLINED
    rest = _YES_LEAD.sub("", ctx.inbound.content or "").strip()
    meant = ctx.registry.get(ctx.values["meant"]) if ctx.registry is not None else None
    names = {ctx.values.get("title", ""), *(meant.triggers if meant is not None else ())}
    # "报秀 我家水管漏了" → 是的 / 对 报修: the first message is what the owner meant
    said = rest if len(normalize(rest)) >= 2 and normalize(rest) not in names else ctx.values.get("said", "")
    return FollowUp("", ctx.values["meant"], said=said)


async def parse_meant(text: str, ctx: DialogContext) -> bool:
    """"不是 打错了 我想看公告": a no that says what was meant is routed afresh (Invalid), not just declined."""
    meant = await parse_yes_no(text, ctx)
    rest = texts.WRONG_LEAD.sub("", text)
    if not meant and rest != text and len(normalize(rest)) >= 3:
        raise Invalid("")
    return meant


async def meant_or_not(ctx: DialogContext) -> list[Choice]:
    return [Choice(True, texts.DID_YOU_MEAN_YES_LABEL, YES), Choice(False, texts.DID_YOU_MEAN_NO_LABEL, NO)]


async def did_you_mean(ctx: DialogContext) -> str:
    return texts.DID_YOU_MEAN_ASK.format(title=ctx.values.get("title", ""))


def _yes_no_slot(name: str, prompt, choices=yes_no, parse=parse_yes_no) -> Slot:  # noqa: ANN001 - text or prompt
    return Slot(name, prompt, choices=choices, parse=parse)


FAQ_FEEDBACK = Dialog(name="faq_feedback", title="回答反馈", follow_up=True, in_help=False,
                      slots=(Slot("helpful", texts.FEEDBACK_ASK, choices=feedback_choices),), submit=record_feedback)
FAQ_CHOICES = Dialog(name="faq_choices", title="选择问题", follow_up=True, in_help=False,
                     slots=(Slot("picked", texts.CHOOSE_QUESTION, choices=listed_questions),), submit=answer_picked)
FAQ_COMMUNITY = Dialog(name="faq_community", title="选择小区", follow_up=True, in_help=False,
                       slots=(Slot("community", texts.WHICH_COMMUNITY, choices=account_communities),),
                       submit=answer_in_community)
HANDOVER_OFFER = Dialog(name="handover_offer", title="转人工", follow_up=True, in_help=False,
                        slots=(_yes_no_slot("yes", texts.OFFER_PERSON, parse=parse_offer_answer),),
                        submit=hand_over_or_not)
DID_YOU_MEAN = Dialog(name="did_you_mean", title="确认", follow_up=True, in_help=False,
                      slots=(_yes_no_slot("yes", did_you_mean, meant_or_not, parse_meant),), submit=start_meant)
FOLLOW_UPS = [FAQ_FEEDBACK, FAQ_CHOICES, FAQ_COMMUNITY, HANDOVER_OFFER, DID_YOU_MEAN]
