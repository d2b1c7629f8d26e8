"""预约: a one-slot dialog declared the way every feature declares one (used by test_a_new_dialog.py): one file with
its slots, its submit and its own language; adding it to the registry is one line."""

from __future__ import annotations

from bot.context import DialogContext
from bot.dialogs.spec import Choice, Dialog, Slot

BOOKED: list[str] = []


async def times(ctx: DialogContext) -> list[Choice]:
    return [Choice("上午", "明天上午"), Choice("下午", "明天下午")]


async def book(ctx: DialogContext) -> str:
    BOOKED.append(ctx.values["when"])
    return f"已为您预约物业前台：明天{ctx.values['when']}。"


BOOKING = Dialog(
    name="booking", title="预约", triggers=("预约",),
    description="预约：约个时间到物业服务中心办事（办卡、签协议、面谈）",
    examples=("我想约个时间去物业办事", "帮我预约一下明天去前台", "想约物业经理当面聊聊", "预约办门禁卡",
              "能不能约个时间过去签代扣协议", "我要预约到服务中心办理业务", "约一下物业前台的时间"),
    keywords=r"预约|约个时间|约一下",
    slots=(Slot("when", "想约什么时候？", choices=times, label="时间"),),
    submit=book,
)
