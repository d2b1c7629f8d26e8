"""转人工: the owner asks for a person. One step: an escalation is opened (or the open one joined) and the owner is
told who answers and by when."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs.spec import Dialog, examples_of
from workflows.escalations.models import EscalationReason


async def hand_over(ctx: DialogContext) -> str:
    return await ctx.host.escalate(ctx, EscalationReason.ASKED_FOR_PERSON, ctx.inbound.content or "")


HANDOVER = Dialog(
    name="handover", title="转人工", menu_key="HUMAN", in_help=False, slots=(), submit=hand_over,
    confirm_typo=False,  # 转人攻: a person is what they asked for; asking first only delays them
    triggers=("转人工", "人工", "人工客服", "找客服", "客服", "转人工客服"),
    description="转人工：要找人工客服、物业工作人员",
    examples=examples_of("handover"),
    keywords=r"人工|真人|活人|找客服|工作人员|打电话给我|机器人|找个人|和人说|找物业的人|找个?人(问|说|聊)",
    # "你这啥也不懂 气死我了" vents (offered a person, not handed over unasked); 转人工 in words is read by the router
    excludes=r"(客服|人工|物业)(电话|热线)|(几点|什么时候).{0,4}(上班|下班)|^(你|你这|你这个)?(啥|什么)(也|都)不懂",
)
