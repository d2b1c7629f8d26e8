"""The dialog registry: every dialog the bot can run, found by name, trigger word or menu key, and the language they
declare handed to knowledge as IntentSpecs (knowledge never learns a dialog's name otherwise).

The composition root builds one registry from `default_dialogs()`; each feature adds one line there for its dialog.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.dialogs.spec import Dialog
from bot.dialogs.words import normalize
from knowledge.intents import IntentSpec


class DialogRegistry:
    def __init__(self, dialogs: Iterable[Dialog] = ()) -> None:
        self._by_name: dict[str, Dialog] = {}
        self._by_trigger: dict[str, Dialog] = {}
        self._by_menu_key: dict[str, Dialog] = {}
        self._specs: list[IntentSpec] | None = None
        for dialog in dialogs:
            self.register(dialog)

    def register(self, dialog: Dialog) -> None:
        """Add a dialog; a name, trigger or menu key used twice is a programming error."""
        if dialog.name in self._by_name:
            raise ValueError(f"dialog {dialog.name!r} registered twice")
        for trigger in dialog.triggers:
            key = normalize(trigger)
            if key in self._by_trigger and self._by_trigger[key].name != dialog.name:
                taken = self._by_trigger[key].name
                raise ValueError(f"trigger {trigger!r} of {dialog.name!r} already starts {taken!r}")
        if dialog.menu_key and dialog.menu_key in self._by_menu_key:
            raise ValueError(f"menu key {dialog.menu_key!r} registered twice")
        self._by_name[dialog.name] = dialog
        self._specs = None
        self._by_trigger.update({normalize(t): dialog for t in dialog.triggers})
        if dialog.menu_key:
            self._by_menu_key[dialog.menu_key] = dialog

    def get(self, name: str) -> Dialog | None:
        return self._by_name.get(name)

    def by_trigger(self, text: str) -> Dialog | None:
        """An exact trigger word starts its dialog; "报修 厨房漏水" starts one whose extract reads the rest."""
        word = normalize(text)
        if not word:
            return None
        exact = self._by_trigger.get(word)
        if exact is not None:
            return exact
        best: Dialog | None = None
        best_len = 0
        for trigger, dialog in self._by_trigger.items():
            if dialog.extract is not None and word.startswith(trigger) and len(trigger) > best_len:
                best, best_len = dialog, len(trigger)
        return best

    def trigger_words(self) -> dict[str, Dialog]:
        """Every trigger, normalised, with the dialog it starts (bot/commands.py decides what is a command)."""
        return self._by_trigger

    def by_menu_key(self, key: str) -> Dialog | None:
        return self._by_menu_key.get(key)

    def all(self) -> list[Dialog]:
        return list(self._by_name.values())

    def for_emergencies(self) -> Dialog | None:
        return next((d for d in self._by_name.values() if d.takes_emergencies), None)

    def claimants(self) -> list[Dialog]:
        """Dialogs that may take a bare reply to something Linli asked unprompted (Dialog.claims)."""
        return [dialog for dialog in self._by_name.values() if dialog.claims is not None]
    def intent_specs(self) -> list[IntentSpec]:
        """What intent routing may choose: every dialog that declares example sentences, with its language."""
        if self._specs is None:
            self._specs = [intent_spec(dialog) for dialog in self._by_name.values() if dialog.examples]
        return self._specs


def intent_spec(dialog: Dialog) -> IntentSpec:
    slots = [(s.name, s.label or (s.prompt if isinstance(s.prompt, str) else s.name)) for s in dialog.slots]
    return IntentSpec(name=dialog.name, description=dialog.description or dialog.title,
                      examples=list(dict.fromkeys([*dialog.examples, *dialog.triggers])), slots=slots,
                      keywords=dialog.keywords, excludes=dialog.excludes, lookup=dialog.lookup,
                      supersedes=dialog.supersedes, explicit_only=dialog.explicit_only, decisive=dialog.decisive)


def default_dialogs() -> list[Dialog]:
    """Every dialog of the product; one import and one entry per feature."""
    from bot.dialogs.activities import ACTIVITY_CANCEL, ACTIVITY_SIGNUP
    from bot.dialogs.announcements import ANNOUNCEMENTS
    from bot.dialogs.bind import BIND
    from bot.dialogs.complaint import COMPLAINT
    from bot.dialogs.follow_ups import FOLLOW_UPS
    from bot.dialogs.guard_walk_in import GUARD_WALK_IN
    from bot.dialogs.handover import HANDOVER
    from bot.dialogs.help import HELP
    from bot.dialogs.my_households import MY_HOUSEHOLDS
    from bot.dialogs.my_repairs import TICKET_DIALOGS
    from bot.dialogs.my_visitors import MY_VISITORS
    from bot.dialogs.pay import PAY_DIALOGS
    from bot.dialogs.points import POINTS_DIALOGS
    from bot.dialogs.repair import REPAIR
    from bot.dialogs.repair_staff import STAFF_DIALOGS
    from bot.dialogs.staff_bind import STAFF_BIND
    from bot.dialogs.visit_approval import VISIT_APPROVAL
    from bot.dialogs.visitor import VISITOR

    return [
        BIND,
        MY_HOUSEHOLDS,
        HELP,
        ANNOUNCEMENTS,  # 最新公告
        ACTIVITY_SIGNUP,  # 活动报名
        ACTIVITY_CANCEL,  # 取消报名
        STAFF_BIND,  # 员工绑定 CODE
        REPAIR,
        COMPLAINT,
        *TICKET_DIALOGS,  # my_repairs, a typed ticket number, 评价/重修, 满意/不满意
        *STAFF_DIALOGS,  # 接单/出发/完工 for technicians bound to WeChat
        *PAY_DIALOGS,  # 缴费 (unpaid bills → a signed payment link), 收据 NUMBER
        *POINTS_DIALOGS,  # 我的积分, 积分兑换 (reward → confirm → a redemption code)
        VISITOR,  # 访客登记
        MY_VISITORS,  # 我的访客 → 取消
        VISIT_APPROVAL,  # 1 同意 / 2 拒绝 to a walk-in visitor at the gate
        GUARD_WALK_IN,  # 门岗登记 from a guard's WeChat (claims a guard's 登记访客 before 访客登记)
        HANDOVER,  # 转人工
        *FOLLOW_UPS,  # 有帮助吗, which question, 要转人工吗, 您是要报修吗
    ]


def default_registry() -> DialogRegistry:
    return DialogRegistry(default_dialogs())
