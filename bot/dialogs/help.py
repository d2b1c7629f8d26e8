"""帮助: what the bot can do, built from the registry's dialogs so a new dialog appears here by itself."""

from __future__ import annotations

from bot import texts
from bot.context import DialogContext
from bot.dialogs.spec import Dialog, examples_of

NOT_LISTED = {"help"}


async def help_text(ctx: DialogContext) -> str:
    """The numbered list of what the owner can do, each with the word that starts it."""
    lines = [texts.HELP_HEAD]
    everything = ctx.registry.all() if ctx.registry else []
    dialogs = [d for d in everything if d.name not in NOT_LISTED and d.triggers and d.in_help]
    for dialog in dialogs:
        trigger = dialog.title if dialog.title in dialog.triggers else dialog.triggers[0]
        lines.append(texts.HELP_ITEM.format(n=len(lines), title=dialog.title, trigger=trigger))
    for extra in texts.HELP_EXTRA:
        lines.append(extra.format(n=len(lines)))
    lines.append(texts.HELP_FOOT)
    return "\n".join(lines)


HELP = Dialog(
    name="help", title="帮助", slots=(), submit=help_text, menu_key="HELP",
    triggers=("帮助", "菜单", "?", "？", "你好", "您好", "help"),
    description="看看机器人能做什么：功能列表和使用方法",
    examples=examples_of("help"), lookup=True,
    keywords=r"^(帮助|菜单|功能|你好|您好|在吗|hi|hello)$|能干什么|能做什么|有哪些功能",
)
