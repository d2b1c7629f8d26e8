"""The intent specs the bot really passes (its dialogs' declared language), for knowledge's routing tests."""

from __future__ import annotations

import dataclasses

from knowledge.intents import IntentSpec


def bot_intents() -> list[IntentSpec]:
    from bot.registry import default_registry

    specs = default_registry().intent_specs()
    # The visitor dialog (until #20) has no slots of its own; routing's slot filling is tested with a visitor's slots.
    visitor_slots = [("date", "来访日期"), ("time", "来访时间"), ("plate", "车牌号"), ("phone", "访客电话")]
    return [dataclasses.replace(s, slots=visitor_slots) if s.name == "visitor" else s for s in specs]
